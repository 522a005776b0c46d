"""Every state change is audited: each POST URL of the application and each page of the
administration site is walked, and a change to any table without a new audit event fails.

"A change" is any row added, changed or removed in any table but the bookkeeping ones (open
sessions, rate-limit counters, reminders-sent records, the admin site's own log, and the audit
trail itself). A URL added without a row in ``POSTS`` fails ``test_every_post_url_has_a_row``.
"""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import people
from accounts.models import Charter, CharterAcceptance, Habilitation, User
from accounts.scope import Scope
from administration import services as structure_services
from administration.imports.batches import batch_prepare
from administration.imports.files import read_table
from audit.admin import AuditedAdmin
from audit.models import AuditEvent
from mfa import totp
from mfa.models import Factor
from oidc.models import LinkedIdentity
from reviews import services as review_services

BOOKKEEPING = {
    "sessions.session",
    "accounts.ratelimithit",
    "accounts.remindersent",
    "audit.auditevent",
    "admin.logentry",
    # A staff file between its preview and its apply: working data, not a change (applying
    # it is, through the audited services).
    "administration.importbatch",
}
PASSWORD = "a-long-enough-password-2026"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def snapshot() -> dict[str, set]:
    return {
        model._meta.label_lower: set(model._base_manager.values_list())
        for model in apps.get_models()
        if model._meta.label_lower not in BOOKKEEPING
    }


def changed_tables(before: dict[str, set], after: dict[str, set]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


@pytest.fixture
def world(
    make, hospital, cardiology, geriatrics, agent, establishment_referent, director, django_db_setup
):
    Charter.objects.create(version=1, title="Charte", body="…")
    User.objects.filter(pk=agent.pk).update(password="")
    agent.set_password(PASSWORD)
    agent.save()
    nurse = make.user(email="nurse@example.test", blocked_at=timezone.now(), blocked_reason="x")
    nurse_right = make.habilitation(nurse, geriatrics)
    spare = make.unit(hospital, name="Réserve", is_active=False)
    campaign = review_services.campaign_start(actor=director, establishment=hospital)
    decision = campaign.decisions.get(habilitation=nurse_right)
    return {
        "hospital": hospital,
        "cardiology": cardiology,
        "geriatrics": geriatrics,
        "spare": spare,
        "agent": agent,
        "nurse": nurse,
        "nurse_right": nurse_right,
        "agent_right": agent.habilitations.get(),
        "campaign": campaign,
        "decision": decision,
        "referent": establishment_referent,
        "director": director,
        "identity": LinkedIdentity.objects.create(user=agent, provider="psc", subject="sub-1"),
    }


def _today(days: int = 0) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _reset_args(w):
    user = w["agent"]
    return [urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)]


def _email_change_args(w):
    token = people.account_email_change_request(
        actor=w["referent"], user=w["agent"], email="confirmee@example.test"
    )
    return [token]


def _factor_of(user) -> Factor:
    return Factor.objects.create(user=user, kind="totp", name="App", totp_secret=TOTP_SECRET)


def _agent_factor(w) -> list:
    _factor_of(w["agent"])
    return []


def _staff_file(w):
    text = (
        "nom;prénom;e-mail;profil;FINESS;unité\n"
        f"Neuf;Compte;neuf@example.test;Infirmier(e);{w['hospital'].finess};Cardiologie\n"
    )
    return SimpleUploadedFile("equipe.csv", text.encode("utf-8-sig"))


def _staff_file_read(w):
    """The référent's staff file read and waiting (for the apply and the cancel)."""
    table = read_table(_staff_file(w).read(), "equipe.csv", max_bytes=10**6, max_rows=10)
    batch_prepare(
        actor=w["referent"], scope=Scope.for_user(w["referent"]), table=table, filename="f"
    )
    return {}


# URL name -> (who posts, URL arguments, data, whether the POST changes something).
# Who: a key of the world, or None (anonymous). The data are valid: the change must happen.
POSTS = {
    "accounts:sign_in": (
        None,
        None,
        lambda w: {"username": w["agent"].email, "password": PASSWORD},
        True,
    ),
    "accounts:blocked_help": (None, None, lambda w: {"email": w["nurse"].email}, False),
    "accounts:sign_out": ("agent", None, lambda w: {}, False),
    "accounts:password_reset": (None, None, lambda w: {"email": w["agent"].email}, False),
    "accounts:password_reset_confirm": (
        None,
        _reset_args,
        lambda w: {"new_password1": "nouveau-mot-2026-x", "new_password2": "nouveau-mot-2026-x"},
        True,
    ),
    "accounts:set_reminders": ("agent", lambda w: [w["agent_right"].pk], lambda w: {}, True),
    "accounts:password_change": (
        "agent",
        None,
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": "nouveau-mot-2026-x",
            "new_password2": "nouveau-mot-2026-x",
        },
        True,
    ),
    "accounts:set_digest": ("referent", None, lambda w: {"receives_digest": ""}, True),
    "accounts:charter_accept": ("agent", None, lambda w: {"version": 1}, True),
    "administration:charter_remind": (
        "referent",
        None,
        lambda w: {"people": [w["agent"].pk]},
        True,
    ),
    "administration:person_create": (
        "referent",
        None,
        lambda w: {
            "last_name": "Neuf",
            "first_name": "Compte",
            "email": "neuf@example.test",
            "profile": w["agent_right"].profile_id,
            "structure": f"u:{w['cardiology'].pk}",
            "start_date": _today(),
        },
        True,
    ),
    "administration:habilitation_grant": (
        "referent",
        lambda w: [w["agent"].pk],
        lambda w: {
            "profile": w["agent_right"].profile_id,
            "structure": f"u:{w['geriatrics'].pk}",
            "start_date": _today(),
        },
        True,
    ),
    "administration:person_unblock": ("referent", lambda w: [w["nurse"].pk], lambda w: {}, True),
    # Reading a staff file keeps it for its preview (bookkeeping); applying it changes.
    "administration:people_import": ("referent", None, lambda w: {"file": _staff_file(w)}, False),
    "administration:import_apply": ("referent", None, _staff_file_read, True),
    "administration:import_cancel": ("referent", None, _staff_file_read, False),
    "administration:person_details": (
        "referent",
        lambda w: [w["agent"].pk],
        lambda w: {
            "last_name": "Martin",
            "first_name": "Léa",
            "phone": "05 61 00 00 00",
            "national_id": "10001234567",
        },
        True,
    ),
    # The address changes when the link is followed (accounts:email_confirm): asking only
    # writes its audit event.
    "administration:person_email": (
        "referent",
        lambda w: [w["agent"].pk],
        lambda w: {"email": "nouvelle@example.test"},
        False,
    ),
    "administration:person_depart": (
        "referent",
        lambda w: [w["agent"].pk],
        lambda w: {"reason": "départ"},
        True,
    ),
    # Sending a link changes no table (the rate-limit counter is bookkeeping).
    "administration:person_activation_resend": (
        "referent",
        lambda w: [w["nurse"].pk],
        lambda w: {},
        False,
    ),
    "accounts:email_confirm": (None, _email_change_args, lambda w: {}, True),
    # Prolonger / Terminer in bulk: the open rights of the people ticked.
    "administration:bulk_extend": (
        "referent",
        None,
        lambda w: {"people": [w["agent"].pk, w["nurse"].pk], "end_date": _today(400)},
        True,
    ),
    "administration:bulk_end": (
        "referent",
        None,
        lambda w: {"people": [w["agent"].pk, w["nurse"].pk], "reason": "départ"},
        True,
    ),
    "administration:habilitation_extend": (
        "referent",
        lambda w: [w["agent_right"].pk],
        lambda w: {"end_date": _today(400)},
        True,
    ),
    "administration:habilitation_modify": (
        "referent",
        lambda w: [w["agent_right"].pk],
        lambda w: {
            "profile": w["agent_right"].profile_id,
            "unit": w["geriatrics"].pk,
            "start_date": w["agent_right"].start_date.isoformat(),
            "end_date": w["agent_right"].end_date.isoformat(),
        },
        True,
    ),
    "administration:habilitation_end": (
        "referent",
        lambda w: [w["agent_right"].pk],
        lambda w: {"reason": "départ"},
        True,
    ),
    "administration:establishment": (
        "referent",
        lambda w: [w["hospital"].pk],
        lambda w: {
            "phone": "05 61 00 00 00",
            "description": "Nouvelle description",
            "version": structure_services.row_version(w["hospital"].sheet_updated_at),
        },
        True,
    ),
    "administration:unit_create": (
        "referent",
        lambda w: [w["hospital"].pk],
        lambda w: {"name": "Pédiatrie", "code": "PED", "phone": ""},
        True,
    ),
    "administration:unit_edit": (
        "referent",
        lambda w: [w["hospital"].pk, w["cardiology"].pk],
        lambda w: {
            "name": "Cardiologie B",
            "code": "",
            "phone": "",
            "version": structure_services.row_version(w["cardiology"].updated_at),
        },
        True,
    ),
    "administration:unit_deactivate": (
        "referent",
        lambda w: [w["hospital"].pk, w["spare"].pk],
        lambda w: {},
        False,  # already inactive: nothing to do (the reactivation below changes it)
    ),
    "administration:unit_reactivate": (
        "referent",
        lambda w: [w["hospital"].pk, w["spare"].pk],
        lambda w: {},
        True,
    ),
    "reviews:campaign_start": (
        "director",
        None,
        lambda w: {"establishment": w["hospital"].pk},
        False,
    ),
    "reviews:campaign": (
        "director",
        lambda w: [w["campaign"].pk],
        lambda w: {
            f"decision_{w['decision'].pk}": "remove",
            f"comment_{w['decision'].pk}": "parti",
            f"version_{w['decision'].pk}": w["decision"].version,
        },
        True,
    ),
    "reviews:campaign_close": ("director", lambda w: [w["campaign"].pk], lambda w: {}, True),
    "reviews:campaign_keep_undecided": (
        "director",
        lambda w: [w["campaign"].pk],
        lambda w: {},
        True,
    ),
    "set_language": ("agent", None, lambda w: {"language": "en", "next": "/"}, False),
    # The second factor: a right code (the factor made before the snapshot).
    "mfa:verify": ("agent", _agent_factor, lambda w: {"code": totp.code_at(TOTP_SECRET)}, True),
    # Without a ceremony started by a GET (the secret, the challenge in the session), or the
    # factor given just before: nothing changes; their changes are audited (tests/mfa).
    "mfa:enrol_totp": ("agent", None, lambda w: {"name": "App", "code": "123456"}, False),
    "mfa:enrol_passkey": ("agent", None, lambda w: {"name": "Clé", "credential": "{}"}, False),
    "mfa:confirm_password": ("agent", None, lambda w: {"password": PASSWORD}, False),
    "mfa:recovery_codes": ("agent", _agent_factor, lambda w: {}, False),
    "mfa:factor_remove": ("agent", lambda w: [_factor_of(w["agent"]).pk], lambda w: {}, False),
    "mfa:person_reset": (
        "referent",
        lambda w: [_factor_of(w["nurse"]).user_id],
        lambda w: {},
        True,
    ),
    "oidc:unlink": ("agent", lambda w: [w["identity"].pk], lambda w: {}, True),
}
# Pages that only read (their POST, when any, is refused or does what a GET does).
READ_ONLY = {
    "home",
    "mfa:enrol",
    # Off to the provider (GET only; its callback's links are audited: tests/oidc).
    "oidc:sign_in",
    "oidc:link",
    "oidc:callback",
    "healthz",
    "readyz",
    "accounts:password_reset_done",
    "accounts:password_reset_complete",
    "accounts:my_account",
    "administration:charter_pending",
    "referents:mine",
    "referents:list",
    "referents:tree_children",
    "referents:establishment",
    "referents:unit",
    "administration:people",
    "administration:people_export",
    "administration:import_preview",
    "administration:import_report_csv",
    "administration:import_template_csv",
    "administration:import_template_xlsx",
    "administration:person",
    "administration:establishments",
    "administration:journal",
    "administration:journal_export",
    "reviews:table",
    "reviews:export",
    "reviews:campaigns",
    "reviews:campaign_report",
    "reviews:campaign_report_csv",
    "reviews:uncovered",
    "reviews:uncovered_export",
}


def application_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_post_url_has_a_row():
    assert application_url_names() == set(POSTS) | READ_ONLY


@pytest.mark.parametrize("name", sorted(POSTS))
def test_a_successful_post_is_audited(client, world, name, django_capture_on_commit_callbacks):
    who, args, data, changes = POSTS[name]
    if who is not None:
        client.force_login(world[who])
        if name != "accounts:charter_accept":
            CharterAcceptance.objects.get_or_create(
                user=world[who], charter=Charter.objects.current()
            )
    url = reverse(name, args=args(world) if args else None)
    if name == "accounts:password_reset_confirm":
        url = client.get(url).url  # Django moves the token into the session first
    before = snapshot()
    events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data(world))
    # A refused POST (400: the campaign already open) may change nothing; a valid one succeeds.
    assert response.status_code in ((200, 302) if changes else (200, 302, 400))
    changed = changed_tables(before, snapshot())
    if changes:
        assert changed, f"{name}: the POST changed nothing: its test data are wrong"
    if changed:
        assert AuditEvent.objects.count() > events, f"{name} changed {changed} without an audit"


# --- The administration site


def model_admins():
    return sorted(
        (model._meta.label_lower, model_admin)
        for model, model_admin in admin.site._registry.items()
    )


@pytest.fixture
def admin_world(world, make, platform_admin):
    make.legal_entity()
    return world


def _post_data(form: forms.BaseForm) -> dict:
    """What a browser would send back for ``form`` as shown."""
    data: dict = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        key = form.add_prefix(name)
        value = form[name].value()
        if isinstance(field.widget, forms.SplitDateTimeWidget):
            day, time = field.widget.decompress(value) if value else ("", "")
            data[f"{key}_0"] = day.isoformat() if day else ""
            data[f"{key}_1"] = time.strftime("%H:%M:%S") if time else ""
        elif isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(getattr(item, "pk", item)) for item in value]
        elif value is None:
            data[key] = ""
        elif isinstance(value, datetime.date):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)
    return data


def _editable_text_field(form: forms.BaseForm) -> str | None:
    for name, field in form.fields.items():
        if (
            type(field) is forms.CharField
            and not field.disabled
            and not isinstance(field.widget, forms.HiddenInput | forms.PasswordInput)
            and (field.max_length or 100) > 40
        ):
            return name
    return None


@pytest.mark.parametrize(("label", "model_admin"), model_admins())
def test_every_admin_change_is_audited_or_refused(
    client, admin_world, platform_admin, label, model_admin
):
    client.force_login(platform_admin)
    model = model_admin.model
    request = type("R", (), {"user": platform_admin})()
    # Nothing is ever deleted in the administration site.
    assert not model_admin.has_delete_permission(request)
    if not model_admin.has_change_permission(request):
        assert not model_admin.has_add_permission(request)
        return
    obj = model._base_manager.order_by("pk").first()
    assert obj is not None, f"the world has no {label} to change"
    # What can be changed is changed through the audited admin.
    assert isinstance(model_admin, AuditedAdmin)
    opts = model._meta
    page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = _post_data(form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_post_data(formset.management_form))
        for inline_form in formset.forms:
            data.update(_post_data(inline_form))
    field = _editable_text_field(form)
    assert field, f"{label}: no text field to change"
    data[form.add_prefix(field)] = (data.get(form.add_prefix(field)) or "") + " modifié"
    before = snapshot()
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_CHANGED).count()
    response = client.post(page.request["PATH_INFO"], data)
    assert response.status_code == 302, (
        page.context["adminform"].form.errors,
        response.context and response.context["adminform"].form.errors,
    )
    assert changed_tables(before, snapshot())
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_CHANGED).first()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_CHANGED).count() == events + 1
    assert event.actor == platform_admin
    assert event.after["model"] == label
    assert event.after["object"] == obj.pk
    assert event.after[field].endswith("modifié")


def test_a_password_changed_in_the_admin_is_audited_without_the_hash(
    client, admin_world, platform_admin
):
    client.force_login(platform_admin)
    agent = admin_world["agent"]
    url = reverse("admin:auth_user_password_change", args=[agent.pk])
    response = client.post(
        url, {"password1": "autre-mot-2026-long", "password2": "autre-mot-2026-long"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_CHANGED).get()
    assert event.target_user == agent
    assert event.after["password"] == "…"
    agent.refresh_from_db()
    assert agent.password[:10] not in repr(event.after)


def test_habilitations_are_not_granted_in_the_admin(client, admin_world, platform_admin):
    client.force_login(platform_admin)
    assert client.get(reverse("admin:accounts_habilitation_add")).status_code == 403
    right = Habilitation.objects.first()
    page = client.get(reverse("admin:accounts_habilitation_change", args=[right.pk]))
    assert page.status_code == 200  # readable
    assert b'name="end_date"' not in page.content
