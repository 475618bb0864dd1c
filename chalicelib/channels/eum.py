"""SMS and voice through AWS End User Messaging (``pinpoint-sms-voice-v2``).

``SendTextMessage`` and ``SendVoiceMessage``, with the origination identity (a phone number,
sender id or pool) and configuration set from settings, so delivery events are published. The
incident id travels in ``Context`` and comes back on those events. Voice reads SSML, with a
voice chosen by the template language the message was written in.
"""

from __future__ import annotations

from typing import Any

from chalicelib.channels.errors import send_errors
from chalicelib.core.model import Channel, Message, SendReceipt

# Amazon Polly voices End User Messaging offers, by language (the API's VoiceId values).
VOICES = {
    "en": "JOANNA",
    "en-GB": "AMY",
    "da": "NAJA",
    "nb": "LIV",
    "no": "LIV",
    "sv": "ASTRID",
    "de": "MARLENE",
    "fr": "CELINE",
    "es": "LUCIA",
    "nl": "LOTTE",
    "pl": "EWA",
    "zh": "ZHIYU",
    "zh-Hant": "ZHIYU",  # the API has no Cantonese or Taiwanese Mandarin voice: Mandarin
    "ja": "MIZUKI",
    "ko": "SEOYEON",
}
DEFAULT_VOICE = "JOANNA"


def voice_for(language: str | None) -> str:
    parts = (language or "en").split("-")
    for size in range(len(parts), 0, -1):
        voice = VOICES.get("-".join(parts[:size]))
        if voice:
            return voice
    return DEFAULT_VOICE


class _EumChannel:
    def __init__(
        self,
        client: Any,
        origination_identity: str | None,
        configuration_set: str | None = None,
    ) -> None:
        self._client = client
        self._origination = origination_identity
        self._configuration_set = configuration_set

    def _common(self, destination: str, incident_id: str) -> dict[str, Any]:
        arguments: dict[str, Any] = {"DestinationPhoneNumber": destination}
        if incident_id:  # Context values may not be empty (an answer to a HELP text has none)
            arguments["Context"] = {"incident_id": incident_id}
        if self._origination:
            arguments["OriginationIdentity"] = self._origination
        if self._configuration_set:
            arguments["ConfigurationSetName"] = self._configuration_set
        return arguments


class EumSmsChannel(_EumChannel):
    channel = Channel.SMS

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        with send_errors("End User Messaging SendTextMessage"):
            response = self._client.send_text_message(
                **self._common(destination, incident_id),
                MessageBody=message.body,
                MessageType="TRANSACTIONAL",
            )
        return SendReceipt(message_id=str(response["MessageId"]))


class EumVoiceChannel(_EumChannel):
    channel = Channel.VOICE

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        with send_errors("End User Messaging SendVoiceMessage"):
            response = self._client.send_voice_message(
                **self._common(destination, incident_id),
                MessageBody=message.body,
                MessageBodyTextType="SSML",
                VoiceId=voice_for(message.language),
            )
        return SendReceipt(message_id=str(response["MessageId"]))
