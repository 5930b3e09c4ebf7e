"""Try a password against the store's password policy, e.g. while explaining it to a user.

The answer never holds the password: the HTMX reply is only the result, and the page
without JavaScript renders the form empty again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradeguard.domains.accounts import password_policy
from tradeguard.domains.accounts.schemas import PasswordCheck, PasswordContext, PasswordPolicyRead
from tradeguard.web.forms import blank_none
from tradeguard.web.security import PREFIX, RuntimeDep, Viewer, ViewerPost
from tradeguard.web.templating import page, templates

router = APIRouter(prefix=PREFIX, include_in_schema=False)
# Longer than the policy allows, so an over-long password gets the policy's reason, not a 422.
LONGEST_INPUT = 4 * password_policy.MAX_LENGTH


def _policies() -> list[PasswordPolicyRead]:
    return [password_policy.policy_for(with_second_factor=m) for m in (False, True)]


@router.get("/passwords")
def password_form(request: Request, current: Viewer) -> Response:
    return page(request, "passwords.html", current, title="Passwords", policies=_policies())


@router.post("/passwords")
def check(
    request: Request,
    runtime: RuntimeDep,
    current: ViewerPost,
    password: Annotated[str, Form(max_length=LONGEST_INPUT)],
    user_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    with_second_factor: Annotated[bool, Form()] = False,
) -> Response:
    context = PasswordContext(user_name=blank_none(user_name), email=blank_none(email))
    body = PasswordCheck.model_validate(
        {"password": password, "with_second_factor": with_second_factor, "context": context}
    )
    result = password_policy.check(body, breach_corpus=runtime.settings.breached_passwords_path)
    if request.headers.get("hx-request") == "true":
        return templates.TemplateResponse(request, "_password_result.html", {"result": result})
    return page(
        request, "passwords.html", current, title="Passwords", policies=_policies(), result=result
    )
