# ruff: noqa: RUF001 - full-width punctuation is correct in Traditional Chinese
"""What Tocsin says back to a person (the link page, answers to SMS replies), in their language.

The alerts themselves come from the playbook's templates; these short answers are Tocsin's own,
in the same four languages as the example templates, with English as the fallback. A language
is found as for templates: ``zh-Hant-TW`` -> ``zh-Hant`` -> ``zh``, ``no`` -> ``nb``. Pure.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.wording.languages import language_candidates

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "not_counted": "Recorded: {title}. It does not count toward the acknowledgements needed:",
        "decline_not_counted": "Recorded: you can't respond. It changes nothing here:",
        "why_not_a_person": "a monitoring event answers for no person.",
        "why_not_bound": "it was made with {holder}, not with {person}'s own link, reply code "
        "or personal key.",
        "why_not_paged": "you were not paged for this incident.",
        "why_not_at_level": "you were informed, not paged at this level.",
        "acknowledged": "Acknowledged: {title}",
        "gate_approved": "Approved: {title}. Thank you; the others are paged once enough "
        "people approve.",
        "gate_rejected": "Rejected: {title}. Nobody will be paged.",
        "progress": "{have} of {needed} acknowledgements needed so far.",
        "already": "You have already acknowledged: {title}",
        "already_declined": "You have already said you can't respond.",
        "declined": "Noted: you can't respond.",
        "escalating": "The next level is being paged now.",
        "resolved": "Resolved: {title}. {people} people told.",
        "help": "Tocsin alerts: reply with the code from the alert and ACK to acknowledge "
        "(1234 ACK), or NO if you can't respond. STOP: no more texts.",
        "no_code": "No open alert of yours has the code {code}.",
        "none_open": "You have no open alerts to answer.",
        "several": "You have several open alerts; reply with its code first "
        "(one of {codes}) and ACK.",
        "button_ack": "Acknowledge",
        "button_approve": "Approve: page the team",
        "button_reject": "Reject: page nobody",
        "asks_approval": "This activation waits for approval before anyone else is paged.",
        "button_decline": "I can't respond",
        "you_acknowledged": "You have acknowledged this incident.",
        "incident_is": "This incident is {status}.",
        "acknowledged_by": "Acknowledged by {count} so far.",
        "opened": "opened",
        "links": "Links",
    },
    "da": {
        "not_counted": "Registreret: {title}. Det tæller ikke med blandt de nødvendige "
        "kvitteringer:",
        "decline_not_counted": "Registreret: du kan ikke. Det ændrer intet her:",
        "why_not_a_person": "en overvågningshændelse svarer ikke for nogen person.",
        "why_not_bound": "det blev gjort med {holder}, ikke med {person}s eget link, svarkode "
        "eller personlige nøgle.",
        "why_not_paged": "du blev ikke kaldt til denne hændelse.",
        "why_not_at_level": "du blev orienteret, ikke kaldt på dette niveau.",
        "acknowledged": "Kvitteret: {title}",
        "gate_approved": "Godkendt: {title}. Tak; de andre kaldes, når nok har godkendt.",
        "gate_rejected": "Afvist: {title}. Ingen bliver kaldt.",
        "progress": "{have} af {needed} nødvendige kvitteringer indtil nu.",
        "already": "Du har allerede kvitteret: {title}",
        "already_declined": "Du har allerede meldt, at du ikke kan.",
        "declined": "Noteret: du kan ikke.",
        "escalating": "Næste niveau bliver kaldt nu.",
        "resolved": "Afsluttet: {title}. {people} personer får besked.",
        "help": "Tocsin-alarmer: svar med koden fra alarmen og ACK for at kvittere "
        "(1234 ACK), eller NO hvis du ikke kan. STOP: ingen flere sms'er.",
        "no_code": "Ingen af dine åbne alarmer har koden {code}.",
        "none_open": "Du har ingen åbne alarmer at svare på.",
        "several": "Du har flere åbne alarmer; svar med koden først (en af {codes}) og ACK.",
        "button_ack": "Kvittér",
        "button_approve": "Godkend: kald holdet",
        "button_reject": "Afvis: kald ingen",
        "asks_approval": "Aktiveringen venter på godkendelse, før andre kaldes.",
        "button_decline": "Jeg kan ikke",
        "you_acknowledged": "Du har kvitteret for hændelsen.",
        "incident_is": "Hændelsen er {status}.",
        "acknowledged_by": "Kvitteret af {count} indtil nu.",
        "opened": "åbnet",
        "links": "Links",
    },
    "nb": {
        "not_counted": "Registrert: {title}. Det teller ikke med blant kvitteringene som trengs:",
        "decline_not_counted": "Registrert: du kan ikke. Det endrer ingenting her:",
        "why_not_a_person": "en overvåkingshendelse svarer ikke for noen person.",
        "why_not_bound": "det ble gjort med {holder}, ikke med {person}s egen lenke, svarkode "
        "eller personlige nøkkel.",
        "why_not_paged": "du ble ikke varslet om denne hendelsen.",
        "why_not_at_level": "du ble orientert, ikke varslet på dette nivået.",
        "acknowledged": "Kvittert: {title}",
        "gate_approved": "Godkjent: {title}. Takk; de andre varsles når nok har godkjent.",
        "gate_rejected": "Avvist: {title}. Ingen blir varslet.",
        "progress": "{have} av {needed} nødvendige kvitteringer så langt.",
        "already": "Du har allerede kvittert: {title}",
        "already_declined": "Du har allerede sagt at du ikke kan.",
        "declined": "Notert: du kan ikke.",
        "escalating": "Neste nivå varsles nå.",
        "resolved": "Avsluttet: {title}. {people} personer får beskjed.",
        "help": "Tocsin-varsler: svar med koden fra varselet og ACK for å kvittere "
        "(1234 ACK), eller NO hvis du ikke kan. STOP: ingen flere SMS-er.",
        "no_code": "Ingen av dine åpne varsler har koden {code}.",
        "none_open": "Du har ingen åpne varsler å svare på.",
        "several": "Du har flere åpne varsler; svar med koden først (en av {codes}) og ACK.",
        "button_ack": "Kvitter",
        "button_approve": "Godkjenn: varsle teamet",
        "button_reject": "Avvis: varsle ingen",
        "asks_approval": "Aktiveringen venter på godkjenning før andre varsles.",
        "button_decline": "Jeg kan ikke",
        "you_acknowledged": "Du har kvittert for hendelsen.",
        "incident_is": "Hendelsen er {status}.",
        "acknowledged_by": "Kvittert av {count} så langt.",
        "opened": "åpnet",
        "links": "Lenker",
    },
    "zh-Hant": {
        "not_counted": "已記錄：{title}。此確認不計入所需人數：",
        "decline_not_counted": "已記錄：您無法回應。此回覆不影響升級：",
        "why_not_a_person": "監控事件不代表任何人。",
        "why_not_bound": "此回覆使用 {holder}，而非 {person} 本人的連結、回覆代碼或個人金鑰。",
        "why_not_paged": "您未被呼叫處理此事件。",
        "why_not_at_level": "您僅收到通知，並未在此層級被呼叫。",
        "acknowledged": "已確認：{title}",
        "gate_approved": "已核准：{title}。足夠的人核准後，將通知其他人。",
        "gate_rejected": "已駁回：{title}。不會通知任何人。",
        "progress": "目前 {have}/{needed} 人確認。",
        "already": "您已確認：{title}",
        "already_declined": "您已表示無法回應。",
        "declined": "已記錄：您無法回應。",
        "escalating": "正在通知下一層級。",
        "resolved": "已解除：{title}。已通知 {people} 人。",
        "help": "Tocsin 警報：回覆警報中的代碼加 ACK 以確認（1234 ACK），"
        "無法回應請回覆 NO。STOP：不再接收簡訊。",
        "no_code": "您沒有代碼為 {code} 的未結警報。",
        "none_open": "您沒有需要回覆的未結警報。",
        "several": "您有多個未結警報；請先回覆代碼（{codes} 之一）再加 ACK。",
        "button_ack": "確認",
        "button_approve": "核准：通知團隊",
        "button_reject": "駁回：不通知任何人",
        "asks_approval": "此啟動在通知其他人之前需要核准。",
        "button_decline": "我無法回應",
        "you_acknowledged": "您已確認此事件。",
        "incident_is": "此事件狀態：{status}。",
        "acknowledged_by": "目前已有 {count} 人確認。",
        "opened": "開始於",
        "links": "相關連結",
    },
}


def say(language: str, key: str, **values: Any) -> str:
    """``key`` in the person's language (English when Tocsin has no words in theirs)."""
    for candidate in language_candidates(language):
        phrase = PHRASES.get(candidate, {}).get(key)
        if phrase is not None:
            return phrase.format(**values)
    return PHRASES["en"][key].format(**values)
