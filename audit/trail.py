"""Writing the audit trail. Call ``record`` inside the transaction of the change it describes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from audit.models import AuditEvent
from core.request_log import current_request_id

if TYPE_CHECKING:
    from accounts.models import User
    from structures.models import Establishment, Unit


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as seen by this server (a trusted proxy sets REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_many(events: list[dict[str, Any]], request: HttpRequest | None = None) -> None:
    """``record`` of many events at once (keyword arguments of ``record`` each, without
    ``request``), in batches: a bulk action's trail without a round trip per row."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                **event,
                ip_address=client_ip(request),
                request_id=current_request_id.get(),
            )
            for event in events
        ],
        batch_size=1000,
    )


def record(
    *,
    action: str,
    actor: User | None = None,
    target_user: User | None = None,
    establishment: Establishment | None = None,
    unit: Unit | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    if unit is not None and establishment is None:
        establishment = unit.establishment
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        target_user=target_user,
        establishment=establishment,
        unit=unit,
        before=before,
        after=after,
        ip_address=client_ip(request),
        request_id=current_request_id.get(),
    )
