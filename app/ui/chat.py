"""The Chat tab: a question in, viewpoint cards and a cited answer streamed out.

Events (`ChatEvents`, one method each): `waiting` shows the question at once with a
placeholder (outside the model queue), `answer` streams one turn from `ask_stream` (the same
flow as `perspectives ask`), `answer_alone` asks a follow-up again without the conversation
(the answer's "Ask on its own" option), `clear` starts a new chat.
Only a follow-up (app/answer/followup.py) is read with the questions before it, and its
answer says which question it followed; any other question is answered exactly as in a
fresh chat. Each returns `{output name: value}`
for the outputs it changes (wired by `shared.by_name`). `AnswerStream` turns ask events into
what the tab shows while the answer is being written.
Not here: HTML (html.py), anything the pipeline decides, the layout of other tabs.
"""

from __future__ import annotations

import logging
from typing import Iterator

import gradio as gr

from app.answer.ask import NOT_ADDRESSED, ask_stream
from app.answer.followup import is_follow_up
from app.answer.question import clean_question
from app.errors import PerspectivesError, describe
from app.pipeline import Pipeline
from app.ui import html as H
from app.ui.shared import by_name, download_dir, model_queue, session_view, suggested_questions, warn

log = logging.getLogger(__name__)
WAITING = "_Waiting for the model… if someone else's question is being answered, yours is next in line._"
NO_CARDS = '<div class="pv-empty">Viewpoint cards appear here after a question.</div>'
NO_SOURCES = '<div class="pv-empty">Sources appear here.</div>'
ALONE = "Ask on its own"
FOLLOWS_BACK = 2  # a follow-up is read with at most this many questions before it (a thread's start and its last turn)


def article_index(pipe: Pipeline) -> dict[str, int]:
    """Each article's position in the corpus (its colour in every tab)."""
    return {a.id: i for i, a in enumerate(pipe.articles)}


def conversation(question: str, history: list[dict]) -> list[str]:
    """The earlier questions `question` is read with: none unless it is a follow-up, else the
    last turn's question and what that one was read with (at most FOLLOWS_BACK)."""
    if not history or not is_follow_up(question):
        return []
    last = history[-1]
    return [*last.get("with", []), last["question"]][-FOLLOWS_BACK:]


class AnswerStream:
    """What the chat shows while `ask_stream` runs: the viewpoint cards so far, then the answer."""

    def __init__(self, articles: int, index: dict[str, int], follows: str = ""):
        self.articles, self.index, self.follows = articles, index, follows
        self.order: list[str] = []
        self.cards: dict[str, dict] = {}
        self.answer, self.started, self.status = "", False, "_Searching the articles…_"

    def add(self, ev) -> None:
        if ev.kind == "sources":
            self.status = f"_Found {ev.text} relevant passages; reading each article…_"
        elif ev.kind == "viewpoint_start":
            self._finish_cards()
            self.order.append(ev.article_id)
            self.cards[ev.article_id] = {"title": ev.text, "text": "", "done": False}
            self.status = f"_Reading article {len(self.order)} of {self.articles}…_"
        elif ev.kind == "viewpoint":
            card = self.cards[ev.article_id]
            card["text"] += ev.text
            card["done"] = ev.text == NOT_ADDRESSED
        elif ev.kind == "answer_start":
            self.started = True
            self._finish_cards()
        elif ev.kind == "answer":
            self.answer += ev.text

    def _finish_cards(self) -> None:
        for card in self.cards.values():
            card["done"] = True

    def chat_text(self) -> str:
        return (H.md_answer(self.answer) + " ▍" if self.started else self.status) + H.follow_up_line(self.follows)

    def cards_html(self) -> str:
        return H.cards_streaming(self.order, self.cards, self.index)


class ChatEvents:
    """The tab's events over one shared pipeline."""

    def __init__(self, pipe: Pipeline):
        self.pipe = pipe

    def waiting(self, question, messages) -> dict:
        """Shown at once (outside the queue) until the model is free for this question."""
        if not (question or "").strip():
            return {}
        return {"chatbot": [*(messages or []), _user(question), {"role": "assistant", "content": WAITING}]}

    def waiting_alone(self, evt: gr.SelectData, messages) -> dict:
        """The "Ask on its own" option: the placeholder turn, and the question kept for `answer_alone`."""
        return {**self.waiting(evt.value, messages), "alone": evt.value}

    def answer(self, question, messages, history, k, temperature, *, alone: bool = False) -> Iterator[dict]:
        """Stream one turn: viewpoints into the cards, then the answer into the chat."""
        messages, history = _without_placeholder(messages), list(history or [])
        try:
            q, _ = clean_question(question or "", self.pipe.settings.max_question_chars)
            view = session_view(self.pipe, k, temperature)
        except PerspectivesError as exc:
            warn(str(exc))
            yield {"chatbot": messages}
            return
        read_with = [] if alone else conversation(q, history)
        turn = [*messages, _user(question)]
        stream = AnswerStream(len(self.pipe.articles), article_index(self.pipe), read_with[-1] if read_with else "")
        yield {"question": "", "chatbot": _reply(turn, stream.chat_text()), "cards": '<div class="pv-empty">Reading the articles…</div>'}
        try:
            # ask_stream reads the follow-up with the last entry of `history`: the questions it follows, joined.
            for ev in ask_stream(view, question, history=[" ".join(read_with)] if read_with else []):
                if ev.kind == "done":
                    yield self._final(turn, ev.result, history, read_with)
                    return
                stream.add(ev)
                yield {"chatbot": _reply(turn, stream.chat_text()), "cards": stream.cards_html()}
        except PerspectivesError as exc:
            warn(str(exc))
            yield {"chatbot": _reply(turn, f"⚠ {H.md_text(exc)}")}
        except Exception as exc:  # a bug or an unforeseen fault: say so in the chat, keep the app serving
            log.exception("chat failed")
            msg = f"Unexpected error ({describe(exc)}). The app is still running; try again, or re-index in the Corpus tab."
            warn(msg)
            yield {"chatbot": _reply(turn, f"⚠ {H.md_text(msg)}")}

    def answer_alone(self, question, messages, history, k, temperature) -> Iterator[dict]:
        """The "Ask on its own" option of a follow-up's answer: the same question as in a fresh chat."""
        yield from self.answer(question, messages, history, k, temperature, alone=True)

    def _final(self, turn: list[dict], result, history: list[dict], read_with: list[str]) -> dict:
        idx = article_index(self.pipe)
        foot = f"\n\n<span class='pv-foot'>{H.esc(H.model_display_name(result.model))} · {result.timing['total_s']:.1f} s · {len(result.passages)} sources</span>"
        notes = "".join(f"\n\n> {H.md_text(n)}" for n in result.notices)
        md, js = answer_files(result)
        text = H.md_answer(result.answer, H.titles_by_label(result.perspectives)) + notes + H.follow_up_line(read_with[-1] if read_with else "") + foot
        reply = {"role": "assistant", "content": text}
        if read_with:  # one click asks the same question as in a fresh chat
            reply["options"] = [{"label": ALONE, "value": result.question}]
        return {"chatbot": [*turn, reply], "cards": H.cards_final(result, idx, self.pipe.settings.shown),
                "sources": H.sources_html(result, idx), "history": [*history, {"question": result.question, "with": read_with}],
                "result": result.to_dict(), "download_md": gr.update(value=md, visible=True), "download_json": gr.update(value=js, visible=True)}

    def pick(self, index, shown) -> dict:
        """A suggested question, clicked: into the question box."""
        return {"question": shown[index]} if isinstance(index, int) and 0 <= index < len(shown or []) else {}

    def suggestions(self) -> dict:
        """The suggested questions for the articles as they are now (after an upload, on page load)."""
        questions = suggested_questions(self.pipe)
        return {"examples": gr.Dataset(samples=[[q] for q in questions], visible=bool(questions)), "suggested": questions}

    def clear(self) -> dict:
        hidden = gr.update(visible=False)
        return {"chatbot": [], "history": [], "cards": NO_CARDS, "sources": NO_SOURCES, "result": None,
                "download_md": hidden, "download_json": hidden}


def _user(question: str) -> dict:
    return {"role": "user", "content": H.md_text(question.strip())}


def _reply(turn: list[dict], text: str) -> list[dict]:
    return [*turn, {"role": "assistant", "content": text}]


def _without_placeholder(messages) -> list[dict]:
    """The chat without the waiting turn `waiting` added (question + placeholder)."""
    messages = list(messages or [])
    if len(messages) >= 2 and message_text(messages[-1]) == WAITING:
        return messages[:-2]
    return messages


def message_text(message: dict) -> str:
    """A chat message's text: Gradio 6 hands content back as a list of typed parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def answer_files(result) -> tuple[str, str]:
    """The answer as Markdown and JSON files, for the download buttons."""
    from app.render.text import markdown, to_json

    folder = download_dir("answer-")
    md, js = folder / "answer.md", folder / "answer.json"
    md.write_text(markdown(result), encoding="utf-8")
    js.write_text(to_json(result), encoding="utf-8")
    return str(md), str(js)


# -- layout and wiring -------------------------------------------------------------------------
def layout(pipe: Pipeline) -> dict:
    """The tab's components, laid out inside the current `gr.Tab`."""
    ui = {}
    ui["chatbot"] = gr.Chatbot(
        elem_id="pv-chat", height=460, show_label=False, layout="bubble", buttons=["copy"],
        feedback_options=None, allow_tags=False, render_markdown=True, sanitize_html=True,
        placeholder="**Ask the articles anything.** Each article answers for itself first; then the answer contrasts them, with numbered sources.",
    )
    with gr.Row(equal_height=True):
        ui["question"] = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False, scale=8, lines=1, max_lines=4,
                                    autofocus=True, elem_id="pv-question", submit_btn=False)
        ui["send"] = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="pv-send")
        ui["new"] = gr.Button("New chat", variant="secondary", scale=1, min_width=90)
    # Drawn from the current articles (topics some of them discuss and others not); the State
    # holds the questions this page shows, so a click picks the one the user saw.
    questions = suggested_questions(pipe)
    ui["examples"] = gr.Dataset(components=[ui["question"]], samples=[[q] for q in questions], type="index",
                                label="Try one of these", elem_id="pv-examples", visible=bool(questions))
    ui["suggested"] = gr.State(questions)
    gr.Markdown("### Viewpoints, article by article", elem_classes=["pv-h"])
    ui["cards"] = gr.HTML(NO_CARDS, elem_id="pv-cards", js_on_load=None)
    with gr.Accordion("Sources — the passages behind every [n], quoted words highlighted", open=True, elem_id="pv-sources-acc"):
        ui["sources"] = gr.HTML(NO_SOURCES, elem_id="pv-sources", js_on_load=None)
    with gr.Row():
        ui["download_md"] = gr.DownloadButton("Download answer (Markdown)", size="sm", variant="secondary", visible=False)
        ui["download_json"] = gr.DownloadButton("Download answer (JSON)", size="sm", variant="secondary", visible=False)
    ui["history"], ui["result"] = gr.State([]), gr.State(None)  # history: {"question", "with": the questions it was read with}
    ui["alone"] = gr.State("")  # the follow-up to ask again on its own
    return ui


def suggester(pipe: Pipeline, ui: dict) -> tuple:
    """(function, outputs) that redraw the suggested questions, for the page load and corpus changes."""
    return by_name(ChatEvents(pipe).suggestions, {"examples": ui["examples"], "suggested": ui["suggested"]})


def wire(pipe: Pipeline, ui: dict, k, temperature) -> None:
    """Connect the tab's events. `k` and `temperature` are the Settings tab's widgets."""
    events = ChatEvents(pipe)
    # The order of these outputs is the /ask API's (API clients read the chat at position 1).
    shown = {name: ui[name] for name in ("question", "chatbot", "cards", "sources", "history", "result", "download_md", "download_json")}
    fn, outputs = by_name(events.answer, shown)
    answering = dict(outputs=outputs, show_progress="full", show_progress_on=[ui["chatbot"]], **model_queue(pipe))
    ask = dict(fn=fn, inputs=[ui["question"], ui["chatbot"], ui["history"], k, temperature], **answering)
    wait_fn, wait_outputs = by_name(events.waiting, {"chatbot": ui["chatbot"]})
    # A placeholder turn appears at once (outside the queue), then the answer streams in when
    # the model is free. API clients call /ask directly.
    for trigger, api in ((ui["send"].click, dict(api_name="ask")), (ui["question"].submit, dict(api_visibility="private"))):
        trigger(wait_fn, inputs=[ui["question"], ui["chatbot"]], outputs=wait_outputs, queue=False, api_visibility="private",
                show_progress="hidden").then(**api, **ask)
    alone_wait, alone_wait_outputs = by_name(events.waiting_alone, {"chatbot": ui["chatbot"], "alone": ui["alone"]})
    alone_fn, _ = by_name(events.answer_alone, shown)
    ui["chatbot"].option_select(alone_wait, inputs=[ui["chatbot"]], outputs=alone_wait_outputs, queue=False, api_visibility="private",
                                show_progress="hidden").then(alone_fn, inputs=[ui["alone"], ui["chatbot"], ui["history"], k, temperature],
                                                             api_visibility="private", **answering)
    pick_fn, pick_outputs = by_name(events.pick, {"question": ui["question"]})
    ui["examples"].click(pick_fn, inputs=[ui["examples"], ui["suggested"]], outputs=pick_outputs, queue=False, api_visibility="private",
                         show_progress="hidden")
    clear_fn, clear_outputs = by_name(events.clear, {name: ui[name] for name in
                                                     ("chatbot", "history", "cards", "sources", "result", "download_md", "download_json")})
    ui["new"].click(clear_fn, outputs=clear_outputs, api_visibility="private", queue=False)
