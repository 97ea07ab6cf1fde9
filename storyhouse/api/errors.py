"""Every error the API answers is JSON with a `message` (and, for input it could not take,
`errors` by field), whatever went wrong: not found, not allowed, too many requests, a bug."""

import logging
import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from storyhouse import outage, ratelimit

log = logging.getLogger("storyhouse.api")


class ErrorOut(Schema):
    message: str
    errors: dict[str, list[str]] | None = None


# Answers every operation may give, besides its own.
COMMON = (400, 401, 404, 422, 429)
WRITES = (*COMMON, 403, 415)


def responses(ok: dict, codes: tuple[int, ...] = COMMON) -> dict:
    """An operation's documented answers: its own, and an ErrorOut for each error code."""
    return {**ok, **dict.fromkeys(codes, ErrorOut)}


class Forbidden(HttpError):
    """The person may see the book but not change it (or may not post at all yet)."""

    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class Invalid(Exception):
    """Input the services refused: answered 422 with what is wrong with each field."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    @classmethod
    def from_django(cls, error: DjangoValidationError) -> "Invalid":
        if hasattr(error, "error_dict"):
            errors = {
                ("book" if field == "__all__" else field): [str(m) for m in messages]
                for field, messages in error.message_dict.items()
            }
        elif getattr(error, "code", "") in {"warnings_missing", "warnings_combined"}:
            errors = {"warnings": list(error.messages)}
        else:
            errors = {"book": list(error.messages)}
        first = next(iter(errors.values()))[0]
        return cls(first, errors)


def _json(api: NinjaAPI, request: HttpRequest, status: int, message: str, **extra) -> HttpResponse:
    return api.create_response(request, {"message": message, **extra}, status=status)


def _field(location: list | tuple) -> str:
    """The field an error is about: ("query", "page") -> "page";
    ("body", "book", "tags", 0) -> "tags" (the body's parameter name left out)."""
    names = [str(part) for part in location if not isinstance(part, int)]
    if names and names[0] == "body" and len(names) > 2:
        names = names[2:]
    elif len(names) > 1:
        names = names[1:]
    return ".".join(names) or "request"


def install(api: NinjaAPI) -> None:
    """Answer every error of `api` as ErrorOut JSON instead of ninja's `detail`."""

    @api.exception_handler(ValidationError)
    def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            errors.setdefault(_field(error.get("loc", ())), []).append(str(error.get("msg", "")))
        return _json(
            api,
            request,
            422,
            _("Some of what you sent could not be read: see errors."),
            errors=errors,
        )

    @api.exception_handler(Invalid)
    def refused(request: HttpRequest, exc: Invalid) -> HttpResponse:
        return _json(api, request, 422, exc.message, errors=exc.errors)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _json(api, request, 404, _("There is nothing here, or nothing you may see."))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _json(
            api,
            request,
            401,
            _(
                "Changes need a personal token: send it as “Authorization: Bearer <token>”. "
                "You can make one on your account page."
            ),
        )
        response["WWW-Authenticate"] = 'Bearer realm="Storyhouse"'
        return response

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        wait = max(1, math.ceil(exc.wait or 1))
        response = _json(
            api,
            request,
            429,
            _("Too many requests: wait %(seconds)d seconds and try again.") % {"seconds": wait},
        )
        response["Retry-After"] = str(wait)
        return response

    @api.exception_handler(ratelimit.RateLimited)
    def rate_limited(request: HttpRequest, exc: ratelimit.RateLimited) -> HttpResponse:
        # A limit of its own (comments, votes per minute), over the API's: one 429 for both.
        response = _json(api, request, 429, ratelimit.message(exc))
        response["Retry-After"] = str(exc.wait)
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        response = _json(api, request, exc.status_code, exc.message)
        if exc.status_code == 401:
            response["WWW-Authenticate"] = 'Bearer realm="Storyhouse"'
        return response

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if outage.is_outage(exc):
            outage.log_outage(request, exc)
            return outage.outage_response(request)
        log.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return _json(api, request, 500, _("Something went wrong on our side; it has been logged."))


def method_not_allowed(response: HttpResponse) -> HttpResponse:
    """ninja answers a method an address does not take in plain text: say it in JSON."""
    # ninja lists the methods from a set: in a fixed order, the answer is the same each time.
    allowed = ", ".join(sorted(method.strip() for method in response.get("Allow", "").split(",")))
    answer = JsonResponse(
        {"message": _("This address takes only %(methods)s requests.") % {"methods": allowed}},
        status=405,
    )
    answer["Allow"] = allowed
    return answer


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """An address under /api/ that names no operation."""
    return JsonResponse(
        {"message": _("There is no such address in the API: see /api/docs.")}, status=404
    )
