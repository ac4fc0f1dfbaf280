"""Rasa actions: one thin class per kind of question over the shared :class:`KnowledgeAction`.

All logic lives in :func:`actions.answering.answer`; an action only reads the slots, passes the
user's text, sends the reply (text and buttons) and writes the slots back.  Slots (declared by
the domain with ``influence_conversation: false``): ``plan_id``, ``topic``, ``year``,
``question_kind``, ``pending_question``.
"""
from __future__ import annotations

import logging
from typing import Any, ClassVar, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from .answering import Reply, answer, answer_any, choose_plan_payload, followup_payload
from .off_loop import OffLoop

logger = logging.getLogger(__name__)

SLOTS = ("plan_id", "topic", "year", "question_kind", "pending_question")
ERROR_TEXT = ("Xin lỗi, hiện không tra cứu được cơ sở tri thức. Không tìm thấy thông tin để trả lời; "
              "bạn vui lòng thử lại sau.")
BUSY_TEXT = "Hệ thống đang bận (cơ sở tri thức chưa phản hồi), bạn vui lòng hỏi lại sau ít phút."


class KnowledgeAction(OffLoop, Action):
    """Answer the latest user message as a question of :attr:`kind` from the knowledge base.

    The search reads the database and scores facts in Python: it runs in a worker thread
    (:class:`OffLoop`), so that one slow question never holds up the other users' turns on the
    action server's event loop."""

    action_name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    busy_text: ClassVar[str] = BUSY_TEXT

    def name(self) -> str:
        return self.action_name

    def question(self, tracker: Tracker) -> str:
        return tracker.latest_message.get("text") or ""

    def state(self, tracker: Tracker) -> dict:
        return {slot: tracker.get_slot(slot) for slot in SLOTS}

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        state = self.state(tracker)
        try:
            reply = answer(self.kind, self.question(tracker), state)
        except Exception:  # the bot must answer something honest even if the KB is down
            logger.exception("answer failed for %s", self.action_name)
            reply = Reply(ERROR_TEXT, [], state)
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
        return [SlotSet(slot, reply.state.get(slot)) for slot in SLOTS if reply.state.get(slot) != state.get(slot)]


class ActionAnswerTarget(KnowledgeAction):
    action_name = "action_answer_target"
    kind = "target"


class ActionAnswerResponsibility(KnowledgeAction):
    action_name = "action_answer_responsibility"
    kind = "responsibility"


class ActionAnswerDeadline(KnowledgeAction):
    action_name = "action_answer_deadline"
    kind = "deadline"


class ActionAnswerTask(KnowledgeAction):
    action_name = "action_answer_task"
    kind = "task"


class ActionAnswerDocumentInfo(KnowledgeAction):
    action_name = "action_answer_document_info"
    kind = "document"


class ActionAnswerAppendixProject(KnowledgeAction):
    action_name = "action_answer_appendix_project"
    kind = "project"


class ActionAnswerProcedure(KnowledgeAction):
    action_name = "action_answer_procedure"
    kind = "procedure"


class ActionAnswerComparison(KnowledgeAction):
    action_name = "action_answer_comparison"
    kind = "comparison"


class ActionAnswerAny(KnowledgeAction):
    """Retrieval first: a message the NLU put in ``nlu_fallback`` or ``out_of_scope`` is still
    searched over every kind of fact (the question's cue words choose the kind); only when the
    knowledge base has nothing for it does the bot ask to rephrase (``utter_default``) or say
    the question is out of scope (``utter_out_of_scope``)."""

    action_name = "action_answer_any"
    kind = "any"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        state = self.state(tracker)
        try:
            reply = answer_any(self.question(tracker), state)
        except Exception:
            logger.exception("answer failed for %s", self.action_name)
            reply = Reply(ERROR_TEXT, [], state)
        if reply is None:
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            dispatcher.utter_message(response="utter_out_of_scope" if intent == "out_of_scope" else "utter_default")
            return []
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
        return [SlotSet(slot, reply.state.get(slot)) for slot in SLOTS if reply.state.get(slot) != state.get(slot)]


class ActionAnswerFollowup(KnowledgeAction):
    """"còn năm 2025 thì sao?" and the buttons' payloads (``/choose_plan{"plan_id": …}``,
    ``/followup{"year": …}``).  If the NLU pipeline hands over the intent and entities rather
    than the payload text, the payload is rebuilt from them."""

    action_name = "action_answer_followup"
    kind = "followup"

    def question(self, tracker: Tracker) -> str:
        text = tracker.latest_message.get("text") or ""
        if text.startswith("/"):
            return text
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or []}
        if intent == "choose_plan" and entities.get("plan_id"):
            return choose_plan_payload(str(entities["plan_id"]))
        wanted = {k: str(v) for k, v in entities.items() if k in ("year", "question_kind") and v}
        if wanted and not _has_words(text):
            return followup_payload(**wanted)
        return text


def _has_words(text: Optional[str]) -> bool:
    return bool(text and any(ch.isalpha() for ch in text))


__all__ = [name for name in dir() if name.startswith("ActionAnswer")] + ["KnowledgeAction", "SLOTS"]
