"""SES v2 errors: one tiny class per error code (moto's JsonRESTError shape).

Each serialises as its HTTP status, the header `X-Amzn-ErrorType: <Code>` and the body
`{"__type": <Code>, "message": ...}`; the AWS SDKs read the code from the header.
"""

from __future__ import annotations

import json


class SesV2Error(Exception):
    code = "BadRequestException"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Amzn-ErrorType": self.code, "Content-Type": "application/json"}

    @property
    def body(self) -> str:
        return json.dumps({"__type": self.code, "message": self.message})


class BadRequestException(SesV2Error):
    code = "BadRequestException"


class NotFoundException(SesV2Error):
    code = "NotFoundException"
    status = 404


class AlreadyExistsException(SesV2Error):
    code = "AlreadyExistsException"


class LimitExceededException(SesV2Error):
    code = "LimitExceededException"


class SerializationException(SesV2Error):
    code = "SerializationException"


class UnknownOperationException(SesV2Error):
    code = "UnknownOperationException"
    status = 404


class MethodNotAllowedException(SesV2Error):
    code = "MethodNotAllowedException"
    status = 405


class MessageRejected(SesV2Error):
    code = "MessageRejected"


class AccessDeniedException(SesV2Error):
    code = "AccessDeniedException"
    status = 403


class UnrecognizedClientException(SesV2Error):
    code = "UnrecognizedClientException"
    status = 403


class SignatureDoesNotMatch(SesV2Error):
    code = "SignatureDoesNotMatch"
    status = 403


class MissingAuthenticationToken(SesV2Error):
    code = "MissingAuthenticationTokenException"
    status = 403
