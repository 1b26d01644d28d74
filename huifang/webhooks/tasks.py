"""Background tasks of the webhooks app, on Django's task framework (django-tasks' database
backend by default): one try of a delivery, never inside a web request."""

from __future__ import annotations

from django_tasks import task

from huifang.webhooks import services


@task(queue_name="webhooks")
def deliver(delivery_id: int) -> str:
    """One automatic try of a pending delivery; a failure schedules the next one itself."""
    delivery = services.deliver_one(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "gone"


@task(queue_name="webhooks")
def redeliver_task(delivery_id: int) -> str:
    """A try asked for by hand, whatever the delivery's status."""
    delivery = services.deliver_one(delivery_id=delivery_id, manual=True)
    return delivery.status if delivery is not None else "gone"
