from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'reviews'

    def ready(self):
        """Add the defenses to the core's progress page, audit trail, track changes and people list."""
        from grades import extensions

        from . import checks  # noqa: F401  registers the check for retired settings
        from . import selectors, services, trail, views

        extensions.register_progress_panel(
            extensions.Panel(template="reviews/_progress_box.html", build=views.progress_panel)
        )
        extensions.register_progress_panel(
            extensions.Panel(template="reviews/_feedback_box.html", build=views.feedback_panel)
        )
        extensions.register_trail_source(trail.review_trail)
        extensions.register_track_change_check(services.track_change_refusal)
        extensions.register_open_review_query(selectors.open_reviews_of)
