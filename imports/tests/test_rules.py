"""The import planner and the SQL check as plain functions, without a database."""

from __future__ import annotations

import datetime

import pytest

from imports import rules
from imports.rules import Action, KnownPerson, LevelInfo, PeopleFacts, SourceRow

D = datetime.date

LEVELS = {
    code: LevelInfo(code, rank, name, rank == 1)
    for rank, (code, name) in enumerate(
        [
            ("junior", "Junior"), ("junior-plus", "Junior+"), ("junior-plus-plus", "Junior++"),
            ("middle", "Middle"), ("middle-plus", "Middle+"), ("middle-plus-plus", "Middle++"),
            ("senior", "Senior"), ("senior-plus", "Senior+"), ("senior-plus-plus", "Senior++"),
        ],
        start=1,
    )
}


def facts(**known) -> PeopleFacts:
    names = {rules.normalise_name(code): code for code in LEVELS}
    names.update({rules.normalise_name(info.name): code for code, info in LEVELS.items()})
    return PeopleFacts(
        levels=LEVELS,
        level_names=names,
        track_names={"backend": "backend", "php": "backend", "fullstack": "fullstack"},
        kind_names={"hire": "hire", "promotion": "promotion", "correction": "correction", "promo": "promotion"},
        known={email.replace("_at_", "@"): person for email, person in known.items()},
    )


def person(key, email, *, level="junior", hire="2022-01-10", lead="", track="backend", **extra):
    values = {
        "source_key": key, "email": email, "first_name": "A", "last_name": key, "track": track,
        "level": level, "hire_date": hire, "team_lead_email": lead, **extra,
    }
    return SourceRow(number=int(key), key=key, values=values)


def history(key, email, level, date, kind, reason=""):
    return SourceRow(
        number=int(key), key=key,
        values={"source_key": key, "email": email, "level": level, "date": date, "kind": kind, "reason": reason},
    )


def problems_of(plan):
    return {p.key: p.message for p in plan.problems}


# --- Values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (D(2021, 3, 1), D(2021, 3, 1)),
        (datetime.datetime(2021, 3, 1, 9, 30), D(2021, 3, 1)),
        ("2021-03-01", D(2021, 3, 1)),
        ("2021-03-01 00:00:00", D(2021, 3, 1)),
        ("01.03.2021", D(2021, 3, 1)),
        (" 1.3.2021 ", D(2021, 3, 1)),
        ("", None),
        (None, None),
    ],
)
def test_dates_are_read_from_databases_and_spreadsheets(value, expected):
    assert rules.parse_date(value) == expected


@pytest.mark.parametrize("value", ["2021-02-30", "31.04.2021", "March 1st", "2021/03/01"])
def test_a_value_that_is_not_a_date_is_named(value):
    with pytest.raises(ValueError, match="is not a date"):
        rules.parse_date(value)


def test_names_match_without_regard_to_case_and_spaces():
    assert rules.normalise_name(" Middle + ") == rules.normalise_name("middle+") == "middle+"
    assert rules.normalise_name("МИДЛ+") == rules.normalise_name("мидл+")


# --- Planning people --------------------------------------------------------------------------------


def test_valid_rows_are_created_with_their_history_in_date_order():
    plan = rules.plan_people(
        [person("1", "Ann@Example.com", level="Middle")],
        [
            history("12", "ann@example.com", "junior-plus", "2022-07-11", "promo"),
            history("11", "ann@example.com", "junior", "2022-01-10", "hire"),
            history("13", "ann@example.com", "middle", "2023-09-01", "correction", "Re-levelled"),
        ],
        facts(),
    )
    [ann] = plan.people
    assert (ann.action, ann.email, ann.problems) == (Action.CREATE, "ann@example.com", [])
    assert [(e.kind, e.level, e.date, e.reason, e.key) for e in ann.entries] == [
        ("hire", "junior", D(2022, 1, 10), "", "11"),
        ("promotion", "junior-plus", D(2022, 7, 11), "", "12"),
        ("correction", "middle", D(2023, 9, 1), "Re-levelled", "13"),
    ]
    assert plan.problems == []


def test_a_promotion_that_skips_a_level_skips_the_person():
    plan = rules.plan_people(
        [person("1", "ann@example.com", level="junior-plus-plus")],
        [
            history("11", "ann@example.com", "junior", "2022-01-10", "hire"),
            history("12", "ann@example.com", "junior-plus-plus", "2023-01-10", "promo"),
        ],
        facts(),
    )
    assert plan.people[0].action == Action.SKIP
    assert problems_of(plan) == {
        "1": "history key 12: a promotion from Junior to Junior++ is not a step to the next level"
    }


def test_history_must_start_with_the_one_hire_on_the_hire_date():
    def plan_for(rows, hire="2022-01-10"):
        return rules.plan_people([person("1", "a@example.com", level="junior-plus", hire=hire)], rows, facts())

    hire_row = history("11", "a@example.com", "junior", "2022-01-10", "hire")
    promo = history("12", "a@example.com", "junior-plus", "2022-09-01", "promotion")
    assert plan_for([hire_row, promo]).people[0].action == Action.CREATE
    assert "it needs exactly one" in problems_of(plan_for([promo]))["1"]
    assert "it needs exactly one" in problems_of(plan_for([hire_row, hire_row, promo]))["1"]
    assert problems_of(plan_for([hire_row, promo], hire="2022-01-11"))["1"] == (
        "dates out of order: the history's hire (key 11) is on 2022-01-10, hire_date is 2022-01-11"
    )


def test_a_correction_without_a_reason_says_where_it_came_from():
    plan = rules.plan_people(
        [person("1", "a@example.com", level="junior")],
        [
            history("11", "a@example.com", "junior-plus", "2022-01-10", "hire"),
            history("12", "a@example.com", "junior", "2022-03-01", "correction"),
        ],
        facts(),
    )
    assert plan.people[0].entries[-1].reason == rules.NO_REASON


def test_the_row_level_must_agree_with_the_latest_history_entry():
    plan = rules.plan_people(
        [person("1", "a@example.com", level="middle")],
        [history("11", "a@example.com", "junior", "2022-01-10", "hire")],
        facts(),
    )
    assert problems_of(plan)["1"] == "the level Middle differs from the history's latest entry (Junior, key 11)"


def test_a_skipped_team_lead_skips_the_whole_chain_below():
    plan = rules.plan_people(
        [
            person("1", "top@example.com", level="Principal"),
            person("2", "mid@example.com", lead="top@example.com"),
            person("3", "low@example.com", lead="mid@example.com"),
            person("4", "self@example.com", lead="self@example.com"),
            person("5", "ok@example.com", lead="Lead@Here"),
        ],
        [],
        facts(lead_at_here=KnownPerson(user_ids=(7,), employee_id=3, has_ledger=True)),
    )
    assert [p.action for p in plan.people] == [Action.SKIP] * 4 + [Action.CREATE]
    assert problems_of(plan) == {
        "1": "unknown level name 'Principal'",
        "2": "team lead top@example.com is skipped (key 1)",
        "3": "team lead mid@example.com is skipped (key 2)",
        "4": "the person is their own team lead",
    }


def test_people_already_here_are_matched_by_email_and_never_changed():
    known = {
        "with_at_example.com": KnownPerson(user_ids=(1,), employee_id=1, has_ledger=True),
        "without_at_example.com": KnownPerson(
            user_ids=(2,), employee_id=2, has_ledger=False, hire_date=D(2022, 1, 10), track="backend"
        ),
        "moved_at_example.com": KnownPerson(
            user_ids=(3,), employee_id=3, has_ledger=False, hire_date=D(2021, 1, 10), track="backend"
        ),
        "account_at_example.com": KnownPerson(user_ids=(4,)),
        "twice_at_example.com": KnownPerson(user_ids=(5, 6)),
    }
    plan = rules.plan_people(
        [
            # Even a row that could not be mapped: the person is here with a ledger.
            person("1", "WITH@example.com", level="nonsense"),
            person("2", "without@example.com"),
            person("3", "moved@example.com"),
            person("4", "account@example.com"),
            person("5", "twice@example.com"),
        ],
        [],
        facts(**known),
    )
    assert [p.action for p in plan.people] == [
        Action.UNCHANGED, Action.ADD_LEDGER, Action.SKIP, Action.LINK, Action.SKIP,
    ]
    assert plan.people[1].employee_id == 2 and plan.people[3].user_id == 4
    assert problems_of(plan) == {
        "3": "the person is in the system with the hire date 2021-01-10, the source says 2022-01-10",
        "5": "2 accounts use the e-mail twice@example.com; cannot tell which one is meant",
    }


def test_history_rows_nobody_claims_are_reported_by_their_own_key():
    plan = rules.plan_people(
        [person("1", "a@example.com")],
        [
            history("11", "a@example.com", "junior", "2022-01-10", "hire"),
            history("12", "stranger@example.com", "junior", "2022-01-10", "hire"),
            history("13", "", "junior", "2022-01-10", "hire"),
        ],
        facts(),
    )
    assert plan.people[0].action == Action.CREATE
    assert [str(p) for p in plan.history_problems] == [
        "history row 12, key 12: no person with the e-mail stranger@example.com among the people rows",
        "history row 13, key 13: no e-mail",
    ]


@pytest.mark.parametrize(
    "values, message",
    [
        ({"email": "not-an-email"}, "'not-an-email' is not an e-mail address"),
        ({"first_name": "", "last_name": ""}, "no name: first_name and last_name are both empty"),
        ({"track": "qa"}, "unknown track 'qa'"),
        ({"hire_date": ""}, "no hire_date"),
        ({"hire_date": "soon"}, "hire_date: 'soon' is not a date"),
        ({"career_start": "2023-01-01"}, "dates out of order: career_start 2023-01-01 is after hire_date 2022-01-10"),
        ({"source_key": ""}, "no source key"),
    ],
)
def test_each_problem_of_a_row_is_named(values, message):
    row = person("1", "a@example.com")
    row = SourceRow(number=1, key="1", values={**row.values, **values})
    plan = rules.plan_people([row], [], facts())
    assert plan.people[0].action == Action.SKIP
    assert message in plan.people[0].problems[0]


# --- The SQL check ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM staff",
        "  select id from staff;  ",
        "-- people\n/* all of them */ SELECT id FROM staff -- done",
        "SELECT 'DELETE FROM staff; DROP TABLE x' AS note FROM staff",
        "SELECT \"into\" FROM staff WHERE name = 'O''Brien; DROP'",
        "SELECT `for`, `update` FROM staff",
    ],
)
def test_one_select_passes_whatever_its_text_and_comments_hold(sql):
    rules.check_select_only(sql)


@pytest.mark.parametrize(
    "sql, message",
    [
        ("", "the statement is empty"),
        ("-- only a comment", "the statement is empty"),
        ("DELETE FROM staff", "this one starts with DELETE"),
        ("/* SELECT */ UPDATE staff SET x = 1", "this one starts with UPDATE"),
        ("WITH x AS (SELECT 1) DELETE FROM staff", "this one starts with WITH"),
        ("SELECT 1; DELETE FROM staff", "only one statement is allowed"),
        ("SELECT 1;;", ""),
        ("SELECT * INTO new_table FROM staff", "SELECT ... INTO writes"),
        ("SELECT id FROM staff LOCK IN SHARE MODE", "locking reads"),
        ("SELECT id FROM staff FOR SHARE", "locking reads"),
    ],
)
def test_anything_else_is_refused_with_a_reason(sql, message):
    if not message:
        rules.check_select_only(sql)  # stray semicolons with nothing after them are harmless
        return
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        rules.check_select_only(sql)


def test_parameters_are_found_by_name_and_a_doubled_percent_is_not_one():
    assert rules.statement_parameters("WHERE a >= %(since)s AND b LIKE 'x%%(no)s' AND c = %(since)s") == ["since"]


def test_columns_are_checked_with_a_sentence_that_lists_the_expected_ones():
    with pytest.raises(ValueError) as caught:
        rules.check_columns(["email", "email", "whatever"], required=["email", "level"], optional=["reason"], what="It")
    assert str(caught.value) == (
        "It has column(s) named twice: email; no column(s) level; unexpected column(s) whatever. "
        "Expected the columns email, level (optional: reason)."
    )


def own_ladder(*levels, ladder="support"):
    """A TrackLadder of (code, name, entry only) levels in rank order, on a ladder other than the shipped one."""
    infos = {
        code: LevelInfo(code, rank, name, entry_only, pk=100 + rank)
        for rank, (code, name, entry_only) in enumerate(levels, start=1)
    }
    names = rules.ladder_names([(ladder, code, info.name, "") for code, info in infos.items()])
    return rules.TrackLadder(infos, names, shipped=False)


def test_each_row_is_read_against_its_own_tracks_ladder():
    """A track on a ladder of its own: its rows name its levels; a code two ladders share
    ("senior") is the level of each row's own track."""
    support = own_ladder(("trainee", "Trainee", True), ("senior", "Senior", False), ("lead", "Lead", False))
    own = PeopleFacts(**{**facts().__dict__, "track_names": {"backend": "backend", "support": "support"},
                         "ladders": {"support": support}})
    plan = rules.plan_people(
        [
            person("1", "a@example.com", track="support", level="Senior"),
            person("2", "b@example.com", track="support", level="Middle+"),
            person("3", "c@example.com", track="support", level="lead"),
            person("4", "d@example.com", track="backend", level="Senior"),
            person("5", "e@example.com", track="support", level="lead"),
        ],
        [
            history("31", "c@example.com", "Trainee", "2022-01-10", "hire"),
            history("32", "c@example.com", "Lead", "2022-06-01", "promotion"),
            history("51", "e@example.com", "trainee", "2022-01-10", "hire"),
            history("52", "e@example.com", "senior", "2022-06-01", "promotion"),
            history("53", "e@example.com", "lead", "2023-06-01", "promotion"),
        ],
        own,
    )
    assert [p.action for p in plan.people] == [Action.CREATE, Action.SKIP, Action.SKIP, Action.CREATE, Action.CREATE]
    assert problems_of(plan) == {
        "2": "unknown level name 'Middle+' for the support track, whose levels are Trainee, Senior, Lead",
        "3": "history key 32: a promotion from Trainee to Lead is not a step to the next level",
    }
    assert (plan.people[0].track, plan.people[0].level) == ("support", "senior")
    assert (plan.people[3].track, plan.people[3].level) == ("backend", "senior")
    assert [(e.kind, e.level) for e in plan.people[4].entries] == [
        ("hire", "trainee"), ("promotion", "senior"), ("promotion", "lead"),
    ]


def test_a_mapping_names_a_level_by_its_code_or_by_ladder_and_code():
    """A synonym by code is the level of that code on any ladder; one by ladder/code is that
    ladder's only and wins over a code alone; one for a level the ladder lacks is left out."""
    levels = [("ops", "senior", "Senior", "Сеньор"), ("ops", "lead", "Lead", "")]
    synonyms = {"senior": ["S1", "L3"], "ops/lead": ["L3"], "standard/senior": ["X"], "principal": ["P"]}

    names = rules.ladder_names(levels, synonyms)

    assert names == {"senior": "senior", "сеньор": "senior", "lead": "lead", "s1": "senior", "l3": "lead"}
