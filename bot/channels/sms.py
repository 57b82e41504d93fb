"""SMS input channel with Twilio's webhook conventions, answering at /webhooks/sms/webhook.

Compared with Rasa's built-in `twilio` channel, this one
- checks `X-Twilio-Signature` with twilio's RequestValidator (403 and nothing processed otherwise),
- answers in the webhook response as TwiML (no blocking outbound API call in the event loop),
- sends one readable SMS per turn with buttons as numbered options ("Reply 1 for ..."),
  and maps a reply "1" back to that option's payload,
- handles STOP/START/HELP, Twilio retries of the same MessageSid, malformed and huge requests.

The conversation id is `sms:` + a keyed hash of the number (privacy/identifiers.py), never the
number itself; replies go back in the webhook's response, so the tracker never needs it.

Every bit of per-number state (opt-out, last options, processed MessageSids) is read from the
tracker store under the conversation lock, so several Rasa servers can share the traffic.

credentials.yml:
    bot.channels.sms.SMSInput:
      auth_token: ${TWILIO_AUTH_TOKEN}
      public_url: https://bot.example.org/webhooks/sms/webhook   # optional, behind a proxy
      max_segment_chars: 1600                                     # optional

The salt for the phone-number hash in the staff opt-out record comes from the optional
`phone_hash_salt` credential, else the SMS_PHONE_HASH_SALT environment variable, else the
auth token.

Opted out and in crisis: a person who texted STOP gets no replies, except when a message shows
risk. Safety comes first, so that message is processed as usual (the crisis reply is sent and
the risk is recorded for staff) and the person stays opted out.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.twiml.messaging_response import MessagingResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels import sms_keywords, sms_tracker
from bot.channels.sms_format import TWILIO_MAX_BODY_CHARS, option_for_reply, options_from_messages, \
    render_turn, split_segments
from bot.channels.sms_keywords import Keyword
from privacy.identifiers import sms_conversation_id
from bot.channels.sms_request import InboundSMS, MalformedRequest, parse_form, phone_hash, \
    read_inbound_sms, signature_is_valid
from intake.masking import mask_phone
from risk.dialogue import shows_risk

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
INTAKE_WRITE_TIMEOUT_S = 5.0


class SMSOutput(CollectingOutputChannel):
    """Collects the turn's replies; named `sms` so responses may have `channel: sms` variations."""

    @classmethod
    def name(cls) -> Text:
        return "sms"


def log_failure(what: str, sender: str, error: Exception) -> None:
    """Exception type only at ERROR: exception messages may quote the person's text."""
    logger.error(what + " (%s)", mask_phone(sender), type(error).__name__)
    logger.debug("traceback", exc_info=error)


def twiml(segments: List[str]) -> HTTPResponse:
    reply = MessagingResponse()
    for segment in segments:
        reply.message(segment)
    return response.text(str(reply), content_type="application/xml; charset=utf-8")


def plain_error(status: int, reason: str) -> HTTPResponse:
    return response.text(reason, status=status, content_type="text/plain; charset=utf-8")


class SMSInput(InputChannel):
    """Twilio-style SMS webhook: signed form POST in, TwiML out."""

    @classmethod
    def name(cls) -> Text:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            auth_token=credentials.get("auth_token"),
            public_url=credentials.get("public_url"),
            phone_hash_salt=credentials.get("phone_hash_salt"),
            max_segment_chars=int(credentials.get("max_segment_chars") or TWILIO_MAX_BODY_CHARS),
        )

    def __init__(self, auth_token: Optional[str], public_url: Optional[str] = None,
                 phone_hash_salt: Optional[str] = None, max_segment_chars: int = TWILIO_MAX_BODY_CHARS) -> None:
        self.auth_token = (auth_token or "").strip() or None
        self.public_url = (public_url or "").strip() or None
        self.phone_hash_salt = phone_hash_salt or os.environ.get("SMS_PHONE_HASH_SALT") or self.auth_token or ""
        self.max_segment_chars = min(max(int(max_segment_chars), 160), TWILIO_MAX_BODY_CHARS)
        self._intake_store = None
        self._background: set = set()
        if not self.auth_token:
            logger.error("sms channel has no auth_token (TWILIO_AUTH_TOKEN): every request will be refused")

    # -- request handling ---------------------------------------------------------------------
    def validation_url(self, request: Request) -> str:
        """The URL Twilio signed: the configured public URL behind a proxy, else the request's own."""
        if self.public_url:
            query = request.query_string
            return f"{self.public_url}?{query}" if query else self.public_url
        return request.url

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # `on_new_message` is not used: the duplicate/opt-out checks and the turn itself must run
        # under one conversation lock, which `Agent.handle_message` would take a second time.
        sms_webhook = Blueprint("sms_webhook", __name__)

        @sms_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sms_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            signature = request.headers.get(SIGNATURE_HEADER)
            if not signature:
                logger.warning("sms webhook refused: no %s header", SIGNATURE_HEADER)
                return plain_error(403, "missing Twilio signature")
            try:
                params = parse_form(request.body or b"")
            except MalformedRequest as error:
                return plain_error(400, str(error))
            if not signature_is_valid(self.auth_token, self.validation_url(request), params, signature):
                logger.warning("sms webhook refused: invalid signature")
                return plain_error(403, "invalid Twilio signature")
            try:
                sms = read_inbound_sms(params)
            except MalformedRequest as error:
                logger.warning("sms webhook rejected a malformed request: %s", error)
                return plain_error(400, str(error))

            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return plain_error(503, "assistant is not ready")
            logger.info("sms %s from %s: %d chars%s", sms.message_sid[-8:], mask_phone(sms.sender),
                        len(sms.body), " (truncated)" if sms.truncated else "")
            try:
                messages = await self.handle(agent, sms)
            except Exception as error:  # noqa: BLE001 - the person always gets an answer, the server no crash
                log_failure("sms message from %s could not be handled", sms.sender, error)
                messages = [{"text": sms_keywords.ERROR_TEXT}]
            return twiml(split_segments(render_turn(messages), self.max_segment_chars))

        return sms_webhook

    async def handle(self, agent: Any, sms: InboundSMS) -> List[Dict[str, Any]]:
        """The bot messages to answer this SMS with (empty: answer nothing)."""
        opt_out_change: Optional[bool] = None
        conversation_id = sms_conversation_id(sms.sender)
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.retrieve(conversation_id)
            opted_out = sms_tracker.is_opted_out(tracker)

            # A Twilio retry of a processed message: answer as the first time, add no turn.
            earlier = sms_tracker.replies_to_message(tracker, sms.message_sid)
            if earlier is not None:
                logger.info("sms %s is a repeated delivery; replaying its answer", sms.message_sid[-8:])
                return earlier

            keyword = sms_keywords.classify_keyword(sms.body, opted_out)
            if keyword is Keyword.HELP:
                return [{"text": sms_keywords.HELP_TEXT}]
            if keyword is Keyword.STOP:
                if opted_out and not sms_tracker.keyword_was_recorded(tracker, sms.message_sid):
                    return []  # already opted out: nothing more goes to this number
                opt_out_change = await self._set_opt_out(agent, tracker, sms, True)
                messages = [{"text": sms_keywords.STOP_TEXT}]
            elif keyword is Keyword.START:
                opt_out_change = await self._set_opt_out(agent, tracker, sms, False)
                messages = [{"text": sms_keywords.START_TEXT}]
            elif not sms.body:
                messages = [] if opted_out else [{"text": sms_keywords.EMPTY_BODY_TEXT}]
            elif opted_out:
                messages = await self._handle_while_opted_out(agent, tracker, sms)
            else:
                self._remember_number(sms.sender)
                messages = await self._handle_turn(agent, tracker, sms)

        if opt_out_change is not None:
            await self._record_opt_out(sms.sender, opt_out_change)
        return messages

    async def _handle_turn(self, agent: Any, tracker: Optional[DialogueStateTracker],
                           sms: InboundSMS, parse_data: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        text, metadata = sms.body, {"sms": {"to": sms.to}}
        option = option_for_reply(sms.body, options_from_messages(sms_tracker.last_turn_messages(tracker)))
        if option is not None:
            text = option.payload
            metadata["sms"]["option"] = option.number
        collector = SMSOutput()
        message = UserMessage(text, collector, sms_conversation_id(sms.sender), input_channel=self.name(),
                              message_id=sms.message_sid, metadata=metadata,
                              parse_data=parse_data if option is None else None)
        try:
            await agent.processor.handle_message(message)
        except Exception as error:  # noqa: BLE001 - send what was said so far (a crisis reply comes first)
            log_failure("sms turn for %s failed", sms.sender, error)
            return collector.messages + [{"text": sms_keywords.ERROR_TEXT}]
        return collector.messages

    async def _handle_while_opted_out(self, agent: Any, tracker: Optional[DialogueStateTracker],
                                      sms: InboundSMS) -> List[Dict[str, Any]]:
        """Silence, unless the message shows risk: then the crisis path runs as usual."""
        probe = UserMessage(sms.body, None, sms_conversation_id(sms.sender), input_channel=self.name(), message_id=sms.message_sid)
        try:
            parse_data = await agent.processor.parse_message(probe, tracker)
        except Exception as error:  # noqa: BLE001 - if NLU fails, err on the side of safety
            log_failure("sms risk check failed for opted-out %s", sms.sender, error)
            return [{"text": sms_keywords.HELP_TEXT}]
        if not shows_risk(parse_data):
            logger.info("sms from opted-out %s not answered", mask_phone(sms.sender))
            return []
        logger.warning("sms from opted-out %s shows risk; answering with the crisis path", mask_phone(sms.sender))
        return await self._handle_turn(agent, tracker, sms, parse_data)  # parsed once, not twice

    async def _set_opt_out(self, agent: Any, tracker: Optional[DialogueStateTracker], sms: InboundSMS,
                           opted_out: bool) -> Optional[bool]:
        """Append the opt-out SlotSet to the tracker; returns the new state if it changed."""
        if sms_tracker.keyword_was_recorded(tracker, sms.message_sid):
            return None  # a retry of the same STOP/START
        if tracker is None:
            tracker = await agent.tracker_store.get_or_create_tracker(sms_conversation_id(sms.sender))
        if not opted_out and not sms_tracker.is_opted_out(tracker):
            return None  # START without a STOP before it: nothing to record
        tracker.update(sms_tracker.opt_out_event(opted_out, sms.message_sid))
        await agent.tracker_store.save(tracker)
        logger.info("sms %s %s", mask_phone(sms.sender), "opted out" if opted_out else "opted back in")
        return opted_out

    def _intake(self) -> Any:
        from intake.store import IntakeStore

        if self._intake_store is None:
            self._intake_store = IntakeStore.from_env()
        return self._intake_store

    async def _record_opt_out(self, sender: str, opted_out: bool) -> None:
        """Record STOP/START for staff, keyed by a salted hash; never delays the answer for long."""
        from intake.writer import write_safely

        try:
            await asyncio.wait_for(
                write_safely(self._intake().record_sms_opt_out, phone_hash(sender, self.phone_hash_salt), opted_out,
                             sms_conversation_id(sender)),
                timeout=INTAKE_WRITE_TIMEOUT_S,
            )
        except asyncio.TimeoutError:
            logger.error("intake opt-out record timed out for %s", mask_phone(sender))

    def _remember_number(self, sender: str) -> None:
        """Keep the number (encrypted) on the conversation's inquiry, so staff can call back: the
        conversation id is only a hash of it. In the background: the reply never waits for it."""
        from intake.writer import write_safely

        try:
            store = self._intake()
        except Exception as error:  # noqa: BLE001 - a bad setting must not break the conversation
            log_failure("sms number for %s not recorded", sender, error)
            return
        task = asyncio.ensure_future(write_safely(store.record_sms_number, sms_conversation_id(sender), sender))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def get_output_channel(self) -> Optional[CollectingOutputChannel]:
        return None
