from django.apps import AppConfig


class HandoffsConfig(AppConfig):
    name = "handoffs"

    def ready(self) -> None:
        from alignment import events
        from handoffs import services

        events.subscribe(events.LEAD_STAGE_CHANGED, services.on_lead_stage_changed)
        events.subscribe(events.LEAD_MERGED, services.on_lead_merged)
        events.subscribe(events.NOTIFICATION_DELIVERED, services.on_notification_delivered)
