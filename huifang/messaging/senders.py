"""The senders: one interface, one class per channel and vendor, chosen by settings.

``Sender.send(outgoing)`` hands one message to its gateway and returns the gateway's id for it
(used to match delivery receipts), or raises ``SendError`` saying whether trying again later
may help. Senders never log a whole number or address (R11.1): only masked ones.

Settings (``settings.HUIFANG_MESSAGING``): ``senders`` maps a channel (``sms``, ``email``,
``wecom``) to a class path; ``sms`` holds the vendor's signature (签名), the template code of each
message kind and the credentials; ``wecom`` the group robot's webhook URL.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from huifang.customers.phones import mask_phone, national

logger = logging.getLogger("huifang.messaging")


@dataclass(frozen=True)
class Outgoing:
    """What a sender needs of a message: never the customer record itself."""

    message_id: int
    channel: str
    kind: str
    to: str
    subject: str
    body: str
    template: str
    params: dict[str, str] = field(default_factory=dict)


class SendError(Exception):
    """The gateway did not take the message. ``temporary``: a later try may succeed (timeouts,
    flow control, the gateway's own errors); otherwise the message has failed for good."""

    def __init__(self, code: str, *, temporary: bool) -> None:
        super().__init__(code)
        self.code = code[:64]
        self.temporary = temporary


class Sender(Protocol):
    def send(self, outgoing: Outgoing) -> str: ...


def mask_address(to: str) -> str:
    """``138****5678`` for a number, ``z***@example.com`` for an e-mail address."""
    if not to:
        return ""
    if "@" in to:
        local, _, domain = to.partition("@")
        return f"{local[:1]}***@{domain}"
    if to.startswith("+"):
        try:
            return mask_phone(to)
        except Exception:  # noqa: BLE001 - a malformed number is still not shown
            return "***"
    return to  # a robot's name, not personal data


def options() -> dict[str, Any]:
    configured: dict[str, Any] = settings.HUIFANG_MESSAGING
    return configured


def sender_for(channel: str) -> Sender:
    path = options().get("senders", {}).get(channel, "huifang.messaging.senders.ConsoleSender")
    sender: Sender = import_string(path)()
    return sender


# --------------------------------------------------------------------------------------------------
# Development: a file


class ConsoleSender:
    """The default: appends each message to ``outbox.log`` in the data folder (number masked), so a
    development or demo system sends nothing to anybody."""

    def send(self, outgoing: Outgoing) -> str:
        path = Path(options().get("console_file") or settings.DATA_DIR / "outbox.log")
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {
                "id": outgoing.message_id,
                "channel": outgoing.channel,
                "to": mask_address(outgoing.to),
                "template": outgoing.template,
                "text": outgoing.body,
            },
            ensure_ascii=False,
        )
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return f"console-{outgoing.message_id}"


# --------------------------------------------------------------------------------------------------
# E-mail through Django's mail (SMTP in production: EMAIL_BACKEND and the HUIFANG_EMAIL_* settings)


class EmailSender:
    def send(self, outgoing: Outgoing) -> str:
        message_id = f"<huifang-{outgoing.message_id}-{uuid.uuid4().hex[:8]}@huifang>"
        email = EmailMessage(
            subject=outgoing.subject or outgoing.body[:40],
            body=outgoing.body,
            to=[outgoing.to],
            headers={"Message-ID": message_id},
        )
        try:
            email.send(fail_silently=False)
        except OSError as error:  # SMTP errors are OSErrors: connection refused, timeouts, 4xx
            raise SendError(f"smtp:{type(error).__name__}", temporary=True) from error
        return message_id


# --------------------------------------------------------------------------------------------------
# SMS: the vendors' official SDKs, with the Chinese convention of signature + template code +
# parameters (the text itself is approved by the vendor; only the parameters travel).


def _sms_options() -> dict[str, Any]:
    found: dict[str, Any] = options().get("sms", {})
    return found


def _template_code(outgoing: Outgoing) -> str:
    codes: dict[str, str] = _sms_options().get("templates", {})
    code = codes.get(outgoing.template) or codes.get(outgoing.kind)
    if not code:
        raise SendError(f"no_template:{outgoing.template}", temporary=False)
    return code


# Aliyun error codes after which a later try may succeed (flow control, the platform's own error).
ALIYUN_TEMPORARY = {"isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "Throttling", "ServiceUnavailable"}


class AliyunSmsSender:
    """Aliyun SMS (dysmsapi 2017-05-25 ``SendSms``) through ``alibabacloud-dysmsapi20170525``."""

    def __init__(self) -> None:
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        sms = _sms_options()
        self.client = Client(
            Config(
                access_key_id=sms.get("access_key_id", ""),
                access_key_secret=sms.get("access_key_secret", ""),
                endpoint=sms.get("endpoint", "dysmsapi.aliyuncs.com"),
                protocol=sms.get("protocol", "https"),
                read_timeout=int(sms.get("timeout_ms", 10000)),
                connect_timeout=int(sms.get("timeout_ms", 10000)),
            )
        )

    def send(self, outgoing: Outgoing) -> str:
        from alibabacloud_dysmsapi20170525 import models
        from darabonba.runtime import RuntimeOptions

        request = models.SendSmsRequest(
            phone_numbers=national(outgoing.to),
            sign_name=_sms_options().get("sign_name", ""),
            template_code=_template_code(outgoing),
            template_param=json.dumps(outgoing.params, ensure_ascii=False),
            out_id=str(outgoing.message_id),
        )
        try:
            # Our outbox retries with backoff; the SDK's own retry loop would hide the failure.
            response = self.client.send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except Exception as error:  # noqa: BLE001 - the SDK raises several unrelated classes
            raise _aliyun_error(error) from error
        body = response.body
        if body is None or body.code != "OK":
            code = body.code if body is not None else "no_body"
            raise SendError(f"aliyun:{code}", temporary=code in ALIYUN_TEMPORARY)
        return str(body.biz_id)


def _aliyun_error(error: Exception) -> SendError:
    # The SDK wraps the last error of its loop in an UnretryableException with a context.
    inner = getattr(getattr(error, "inner_exception", None), "exception", None)
    context = getattr(error, "context", None) or getattr(error, "_context", None)
    inner = inner or getattr(context, "exception", None) or error
    status = getattr(inner, "status_code", None)
    code = str(getattr(inner, "code", "") or type(inner).__name__)
    temporary = status is None or status >= 500 or status == 429 or code in ALIYUN_TEMPORARY
    return SendError(f"aliyun:{code}", temporary=temporary)


# Tencent Cloud error codes after which a later try may succeed.
TENCENT_TEMPORARY_PREFIXES = ("LimitExceeded", "InternalError", "RequestLimitExceeded", "ClientNetworkError")


class TencentSmsSender:
    """Tencent Cloud SMS (``SendSms`` 2021-01-11) through ``tencentcloud-sdk-python-sms``."""

    def __init__(self) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        sms = _sms_options()
        http = HttpProfile(
            protocol=sms.get("protocol", "https"),
            endpoint=sms.get("endpoint", "sms.tencentcloudapi.com"),
            reqTimeout=int(sms.get("timeout_ms", 10000)) // 1000 or 1,
        )
        self.client = sms_client.SmsClient(
            credential.Credential(sms.get("secret_id", ""), sms.get("secret_key", "")),
            sms.get("region", "ap-guangzhou"),
            ClientProfile(httpProfile=http),
        )

    def send(self, outgoing: Outgoing) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        sms = _sms_options()
        request = models.SendSmsRequest()
        request.SmsSdkAppId = sms.get("app_id", "")
        request.SignName = sms.get("sign_name", "")
        request.TemplateId = _template_code(outgoing)
        # Tencent's templates are positional: {1}, {2} … in the order the template lists them.
        request.TemplateParamSet = [str(value) for value in outgoing.params.values()]
        request.PhoneNumberSet = [outgoing.to]
        request.SessionContext = str(outgoing.message_id)
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            code = str(error.get_code() or "unknown")
            raise SendError(
                f"tencent:{code}", temporary=code.startswith(TENCENT_TEMPORARY_PREFIXES)
            ) from error
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SendError("tencent:no_status", temporary=True)
        status = statuses[0]
        if status.Code != "Ok":
            code = str(status.Code)
            raise SendError(f"tencent:{code}", temporary=code.startswith(TENCENT_TEMPORARY_PREFIXES))
        return str(status.SerialNo)


# --------------------------------------------------------------------------------------------------
# WeCom (企业微信) group robot: staff notices and digests to a team's group chat


class WeComRobotSender:
    """Posts markdown to the group robot's webhook (``wecom.webhook_url``); the robot answers
    ``{"errcode": 0}`` when it took the message. Staff notices carry no customer data."""

    def send(self, outgoing: Outgoing) -> str:
        url = options().get("wecom", {}).get("webhook_url", "")
        if not url:
            raise SendError("wecom:not_configured", temporary=False)
        payload = json.dumps(
            {"msgtype": "markdown", "markdown": {"content": outgoing.body}}, ensure_ascii=False
        ).encode("utf-8")
        request = urllib.request.Request(
            url, data=payload, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured URL
                answer = json.loads(response.read().decode("utf-8") or "{}")
        except urllib.error.HTTPError as error:
            raise SendError(
                f"wecom:http{error.code}", temporary=error.code >= 500 or error.code == 429
            ) from error
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise SendError(f"wecom:{type(error).__name__}", temporary=True) from error
        errcode = int(answer.get("errcode", -1))
        if errcode != 0:
            # 45009: the robot's limit of 20 messages a minute.
            raise SendError(f"wecom:{errcode}", temporary=errcode in (45009, -1))
        return f"wecom-{outgoing.message_id}"
