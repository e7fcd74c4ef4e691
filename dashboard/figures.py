"""The dashboard's figures: the selectors' rows grouped, made k-anonymous for managers,
laid out as charts and tables, each with the CSV report that holds its rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grades.templatetags.grades_tags import level_name as localized_name
from pay.rules import bands_in_force

from . import charts, rules, selectors
from .policies import K_ANONYMITY, Scope

# The most groups (team leads) a chart shows on their own; the rest are one "Other" row.
MAX_GROUPS = 25


@dataclass
class Figure:
    key: str
    title: str
    chart: charts.Chart | None
    headers: list[str]
    rows: list[list]
    # The CSV report with this figure's rows, and its query string.
    report: str = ""
    query: str = ""
    notes: list[str] = field(default_factory=list)
    anonymised: bool = False


@dataclass
class Context:
    scope: Scope
    filters: selectors.Filters
    track_slug: str
    today: datetime.date
    tracks: dict
    levels: dict
    leads: dict

    def report_query(self, *, period: bool, dates: str = "", lead: bool = True) -> str:
        """The figure's filters as the report's query: the track, the team lead (the filter,
        or the viewing lead themself) unless the report's rows are no one's (`lead=False`),
        and the period when the report has dates (`dates`: the reviews' date basis)."""
        params = {}
        if self.track_slug:
            params["track"] = self.track_slug
        if lead and self.filters.lead_id is not None:
            params["lead"] = str(self.filters.lead_id)
        if period:
            params["date_from"] = self.filters.date_from.isoformat()
            params["date_to"] = self.filters.date_to.isoformat()
            if dates:
                params["dates"] = dates
        return urlencode(params)


def _hidden_text() -> str:
    return ngettext("fewer than %(k)s person: not shown", "fewer than %(k)s people: not shown", K_ANONYMITY) % {
        "k": K_ANONYMITY
    }


def _anonymity_note() -> str:
    return _(
        "Groups of fewer than %(k)s people are merged into “Other” or not shown, so that nobody can be picked out."
    ) % {"k": K_ANONYMITY}


def _merge(ctx: Context, groups, other_label: str):
    if not ctx.scope.anonymised:
        return groups, False
    return rules.merge_small(groups, k=K_ANONYMITY, other_label=other_label)


def _largest(ctx: Context, groups, other_label: str) -> tuple[list, list[str]]:
    """The MAX_GROUPS largest groups on their own, the rest in "Other", and a note saying so."""
    groups, folded = rules.keep_largest(groups, limit=MAX_GROUPS, other_label=other_label,
                                        k=K_ANONYMITY if ctx.scope.anonymised else 0)
    if not folded:
        return groups, []
    return groups, [ngettext(
        "The %(limit)s largest groups are shown on their own; %(n)s more is counted under “%(other)s”, and the filters show any one of them.",
        "The %(limit)s largest groups are shown on their own; %(n)s more are counted under “%(other)s”, and the filters show any one of them.",
        folded) % {"limit": MAX_GROUPS, "n": folded, "other": other_label}]


def _hide(ctx: Context, groups):
    if not ctx.scope.anonymised:
        return groups, False
    return rules.hide_small(groups, k=K_ANONYMITY)


def _level_order(levels: dict, level_ids) -> list[int]:
    return sorted(level_ids, key=lambda pk: (levels[pk].rank, levels[pk].ladder_id, pk))


# --- Level distribution ---------------------------------------------------------------------------


def _distribution(ctx: Context, key: str, title: str, counts: dict, labels: dict, other_label: str,
                  report_query: str) -> Figure:
    """People per level for each group (a track or a team lead): a stacked bar per group."""
    level_ids = _level_order(ctx.levels, {level for by_level in counts.values() for level in by_level})
    groups = [
        rules.Group(key=group, label=labels[group], people=sum(by_level.values()), values=dict(by_level))
        for group, by_level in sorted(counts.items(), key=lambda item: labels[item[0]].lower())
    ]
    groups, anonymised = _merge(ctx, groups, other_label)
    groups, notes = _largest(ctx, groups, other_label)
    series = [localized_name(ctx.levels[pk]) for pk in level_ids]
    specs, rows = [], []
    for group in groups:
        if group.hidden:
            specs.append(charts.RowSpec(group.label, hidden_text=_hidden_text()))
            rows.append([group.label, *["—" for _pk in level_ids], "—"])
            continue
        segments = [(index, group.values.get(pk, 0)) for index, pk in enumerate(level_ids)]
        text = ngettext("%(n)s person", "%(n)s people", group.people) % {"n": group.people}
        specs.append(charts.RowSpec(group.label, [charts.BarSpec(segments, text)]))
        rows.append([group.label, *[group.values.get(pk, 0) for pk in level_ids], group.people])
    chart = charts.bar_chart(
        key, title=title, desc=_("People employed now, by level: one stacked bar per group, its total printed after it."),
        rows=specs, series=series, empty_text=_("Nobody matches."),
    )
    return Figure(key, title, chart, [_("Group"), *series, _("Total")], rows, "roster", report_query,
                  notes + ([_anonymity_note()] if anonymised else []), anonymised)


def level_distributions(ctx: Context, headcounts) -> list[Figure]:
    by_track: dict = defaultdict(lambda: defaultdict(int))
    by_lead: dict = defaultdict(lambda: defaultdict(int))
    for track_id, lead_id, level_id, people in headcounts:
        by_track[track_id][level_id] += people
        by_lead[lead_id][level_id] += people
    track_labels = {pk: localized_name(track) for pk, track in ctx.tracks.items()}
    lead_labels = {None: _("No team lead"), **ctx.leads}
    for lead_id in by_lead.keys() - lead_labels.keys():
        lead_labels[lead_id] = _("Team lead #%(id)s") % {"id": lead_id}
    query = ctx.report_query(period=False)
    return [
        _distribution(ctx, "by-track", _("Levels per track"), by_track, track_labels, _("Other tracks"), query),
        _distribution(ctx, "by-lead", _("Levels per team lead"), by_lead, lead_labels, _("Other team leads"), query),
    ]


def _count_rows(groups) -> tuple[list, list]:
    """One bar and one table row per group of a single count; a hidden group shows "—"."""
    specs, rows = [], []
    for group in groups:
        if group.hidden:
            specs.append(charts.RowSpec(group.label, hidden_text=_hidden_text()))
            rows.append([group.label, "—"])
        else:
            specs.append(charts.RowSpec(group.label, [charts.BarSpec([(0, group.people)], str(group.people))]))
            rows.append([group.label, group.people])
    return specs, rows


# --- Promotions per quarter ------------------------------------------------------------------------


def promotions(ctx: Context, by_quarter: dict) -> Figure:
    groups = [
        rules.Group(key=(y, q), label=rules.quarter_key(y, q), people=by_quarter.get((y, q), 0),
                    values={"n": by_quarter.get((y, q), 0)})
        for y, q in rules.quarters_between(ctx.filters.date_from, ctx.filters.date_to)
    ]
    groups, anonymised = _hide(ctx, groups)
    specs, rows = _count_rows(groups)
    title = _("Promotions per quarter")
    chart = charts.bar_chart("promotions", title=title, desc=_("Promotions recorded in the grade ledger, one bar per quarter of the period."),
                             rows=specs, series=[_("Promotions")])
    return Figure("promotions", title, chart, [_("Quarter"), _("Promotions")], rows, "grade-history",
                  ctx.report_query(period=True), [_anonymity_note()] if anonymised else [], anonymised)


# --- Defense outcomes -----------------------------------------------------------------------------


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def outcomes(ctx: Context, rows_in) -> Figure:
    by_level: dict = defaultdict(lambda: {"passed": 0, "failed": 0})
    for level_id, status, n in rows_in:
        by_level[level_id][status] += n
    groups = [
        rules.Group(key=pk, label=localized_name(ctx.levels[pk]), people=v["passed"] + v["failed"], values=dict(v))
        for pk, v in ((pk, by_level[pk]) for pk in _level_order(ctx.levels, by_level))
    ]
    groups, anonymised = _merge(ctx, groups, _("Other levels"))
    specs, rows = [], []
    for group in groups:
        passed, failed = group.values.get("passed", 0), group.values.get("failed", 0)
        if group.hidden:
            specs.append(charts.RowSpec(group.label, hidden_text=_hidden_text()))
            rows.append([group.label, "—", "—", "—", "—"])
            continue
        text = _("%(rate)s passed (%(passed)s of %(total)s)") % {
            "rate": _percent(passed, passed + failed), "passed": passed, "total": passed + failed}
        specs.append(charts.RowSpec(group.label, [charts.BarSpec([(0, passed), (1, failed)], text)]))
        rows.append([group.label, passed, failed, _percent(passed, passed + failed), _percent(failed, passed + failed)])
    title = _("Defense outcomes per level")
    chart = charts.bar_chart("outcomes", title=title, desc=_("Decided promotion defenses of the period by the level defended: passed and failed stacked, the pass rate printed."),
                             rows=specs, series=[_("Passed"), _("Failed")], empty_text=_("No defense was decided in the period."))
    # The defenses decided in the period: the reviews report by decision date, where only
    # decided reviews (passed or failed) have one.
    return Figure("outcomes", title, chart, [_("Level"), _("Passed"), _("Failed"), _("Pass rate"), _("Fail rate")], rows,
                  "reviews", ctx.report_query(period=True, dates="decided"), [_anonymity_note()] if anonymised else [],
                  anonymised)


# --- Time to promotion ----------------------------------------------------------------------------


def time_to_promotion(ctx: Context, waits) -> Figure:
    by_level: dict = defaultdict(list)
    for level_id, days in waits:
        if days is not None:
            by_level[level_id].append(days)
    # Months are days scaled: the median is taken of the days and scaled once.
    groups = [
        rules.Group(key=pk, label=localized_name(ctx.levels[pk]), people=len(by_level[pk]), values={"days": by_level[pk]})
        for pk in _level_order(ctx.levels, by_level)
    ]
    groups, anonymised = _merge(ctx, groups, _("Other levels"))
    specs, rows = [], []
    for group in groups:
        if group.hidden:
            specs.append(charts.RowSpec(group.label, hidden_text=_hidden_text()))
            rows.append([group.label, "—", "—", "—"])
            continue
        middle = round(rules.months_in(rules.median(group.values["days"])), 1)
        minimum = ctx.levels[group.key].min_months_in_previous if group.key is not None else None
        bars = [charts.BarSpec([(0, middle)], _("median %(months)s months") % {"months": middle})]
        if minimum is not None:
            bars.append(charts.BarSpec([(1, minimum)], _("minimum %(months)s months") % {"months": minimum}))
        specs.append(charts.RowSpec(group.label, bars))
        rows.append([group.label, group.people, middle, minimum if minimum is not None else "—"])
    title = _("Median time to promotion")
    chart = charts.bar_chart("time-to-promotion", title=title, desc=_("For each level reached in the period: the median months spent in the level below, against the ladder's minimum."),
                             rows=specs, series=[_("Median months"), _("Minimum months")], empty_text=_("Nobody was promoted in the period."))
    return Figure("time-to-promotion", title, chart, [_("Level reached"), _("Promotions"), _("Median months"), _("Minimum months")],
                  rows, "grade-history", ctx.report_query(period=True), [_anonymity_note()] if anonymised else [], anonymised)


# --- Pipeline and time in level --------------------------------------------------------------------


def _bucket_figure(ctx: Context, key: str, title: str, desc: str, buckets: list[tuple[str, str]], counts: dict,
                   notes: list[str]) -> Figure:
    groups = [rules.Group(key=k, label=label, people=counts.get(k, 0)) for k, label in buckets]
    groups, anonymised = _hide(ctx, groups)
    specs, rows = _count_rows(groups)
    chart = charts.bar_chart(key, title=title, desc=desc, rows=specs, series=[_("People")])
    return Figure(key, title, chart, [_("Group"), _("People")], rows, "roster", ctx.report_query(period=False),
                  notes + ([_anonymity_note()] if anonymised else []), anonymised)


def pipeline_and_spread(ctx: Context, timing) -> list[Figure]:
    pipeline: dict = defaultdict(int)
    in_level: dict = defaultdict(int)
    for bucket, spread, people in timing:
        pipeline[bucket] += people
        in_level[spread] += people
    top = pipeline.get(selectors.TOP, 0)
    cooldown = settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS
    notes = [ngettext(
        "By the time rules only (time in level since the later of the level's start and the probation's end, %(n)s month after a failed defense); requirements and open reviews are not counted.",
        "By the time rules only (time in level since the later of the level's start and the probation's end, %(n)s months after a failed defense); requirements and open reviews are not counted.",
        cooldown) % {"n": cooldown}]
    if top:
        notes.append(ngettext("%(n)s person at the top of their ladder is not counted.",
                              "%(n)s people at the top of their ladder are not counted.", top) % {"n": top})
    return [
        _bucket_figure(
            ctx, "pipeline", _("Eligibility pipeline"),
            _("People employed now by when they may defend their next level: now, within three months, later."),
            [(selectors.NOW, _("Eligible now")), (selectors.SOON, _("Within 3 months")), (selectors.LATER, _("Later"))],
            pipeline, notes,
        ),
        _bucket_figure(
            ctx, "in-level", _("Time in current level"),
            _("People employed now by how long they have held their current level."),
            [("lt6", _("Under 6 months")), ("6to12", _("6 to 12 months")), ("12to24", _("1 to 2 years")),
             ("ge24", _("2 years or more"))],
            in_level, [],
        ),
    ]


# --- Waiting claims -------------------------------------------------------------------------------


def waiting_claims(ctx: Context, waiting: dict, team_sizes: dict, days: int) -> Figure:
    labels = {None: _("No team lead"), **ctx.leads}
    groups = [
        rules.Group(key=lead, label=labels.get(lead) or _("Team lead #%(id)s") % {"id": lead},
                    people=team_sizes.get(lead, people), values={"claims": claims, "waiting": people})
        for lead, (claims, people) in waiting.items()
    ]
    groups.sort(key=lambda g: (-g.values["claims"], g.label.lower()))
    groups, anonymised = _merge(ctx, groups, _("Other team leads"))
    groups, notes = _largest(ctx, groups, _("Other team leads"))
    specs, rows = [], []
    for group in groups:
        claims, people = group.values.get("claims", 0), group.values.get("waiting", 0)
        if group.hidden:
            specs.append(charts.RowSpec(group.label, hidden_text=_hidden_text()))
            rows.append([group.label, "—", "—"])
            continue
        text = ngettext("%(n)s claim", "%(n)s claims", claims) % {"n": claims}
        specs.append(charts.RowSpec(group.label, [charts.BarSpec([(0, claims)], text)]))
        rows.append([group.label, claims, people])
    title = _("Claims waiting longer than %(days)s days") % {"days": days}
    chart = charts.bar_chart("waiting", title=title, desc=_("Claims still waiting for the team lead's decision, by team lead."),
                             rows=specs, series=[_("Claims")], empty_text=_("No claim has waited that long."))
    return Figure("waiting", title, chart, [_("Team lead"), _("Claims"), _("People waiting")], rows, "skill-matrix",
                  ctx.report_query(period=False), notes + ([_anonymity_note()] if anonymised else []), anonymised)


# --- Pay bands ------------------------------------------------------------------------------------


def pay_positions(ctx: Context, bands, headcounts) -> list[Figure]:
    """For each track and level: the band in force today and how many people hold the level."""
    people: dict = defaultdict(int)
    for track_id, _lead, level_id, n in headcounts:
        people[(track_id, level_id)] += n
    track_ids = [ctx.filters.track_id] if ctx.filters.track_id else [
        pk for pk, track in ctx.tracks.items() if track.is_active]
    by_currency: dict = defaultdict(list)
    for track_id in track_ids:
        track = ctx.tracks[track_id]
        in_force = [b for b in bands_in_force(bands, track_id=track_id, on=ctx.today)
                    if ctx.levels.get(b.level_id) is not None]
        for band in sorted(in_force, key=lambda b: (ctx.levels[b.level_id].rank, b.currency)):
            by_currency[band.currency].append((track, ctx.levels[band.level_id], band, people.get((track_id, band.level_id), 0)))
    figures = []
    for currency, entries in sorted(by_currency.items()):
        specs, rows = [], []
        for track, level, band, n in entries:
            label = f"{localized_name(track)} · {localized_name(level)}"
            shown = "—" if ctx.scope.anonymised and 0 < n < K_ANONYMITY else n
            text = _("%(min)s–%(max)s · people: %(n)s") % {"min": f"{band.minimum:,.0f}", "max": f"{band.maximum:,.0f}", "n": shown}
            specs.append(charts.RowSpec(label, [charts.BarSpec([(0, float(band.minimum)), (1, float(band.maximum - band.minimum))], text)]))
            rows.append([label, f"{band.minimum:,.0f}", f"{band.maximum:,.0f}", shown])
        title = _("Salary bands in force (%(currency)s)") % {"currency": currency}
        chart = charts.bar_chart(f"pay-{currency.lower()}", title=title,
                                 desc=_("Each level's band in force today: up to the minimum, then the band's range to the maximum, with the number of people at the level."),
                                 rows=specs, series=[_("Up to the minimum"), _("Band range")])
        figures.append(Figure(f"pay-{currency.lower()}", title, chart, [_("Level"), _("Minimum"), _("Maximum"), _("People")], rows,
                              # Bands are no one's: the report is narrowed by the track alone.
                              "salary-bands", ctx.report_query(period=False, lead=False)))
    return figures
