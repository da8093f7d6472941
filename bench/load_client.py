"""A light load client: one Streamlit session driven over its websocket, as the browser's
frontend drives it, without a browser (bench/bench_load.py, the "protocol" client).

What it sends is what the page sends for the same clicks: a `rerun_script` BackMsg with the
widget values the clinician changed (a fragment's widgets with that fragment's id, so a tick
in the sheet panel reruns the panel only, as in the browser), a trigger for a button, and for
Download the `backend_operation_request` that asks the server to run the deferred download;
then the PDF is fetched from the URL the server answers with, with this client's owner cookie
(`prep_owner`, given with the page, as the guard requires). Every sheet is checked: the bytes
are a PDF (`%PDF-` ... `%%EOF`) of at least one page, so a run that makes no sheets cannot
pass for a fast one.

What it leaves out is the browser's own work: parsing, laying out and painting the page.
Widget ids, options and fragment ids are read from the server's own messages (ForwardMsg
deltas), never guessed. Timings are taken in this process: **ready** from sending Prepare to
receiving the Download button's element; **download** from sending the deferred-download
request to the last byte of the PDF.
"""

from __future__ import annotations

import asyncio
import io
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

STEP_TIMEOUT = 60.0


class ProtocolError(RuntimeError):
    """The server answered something a browser would not have been given."""


@dataclass
class Widget:
    id: str
    kind: str  # the element type: button, checkbox, radio, text_input, download_button...
    fragment_id: str
    proto: Any = field(repr=False)


class ProtocolSession:
    """One tab's worth of Streamlit session, over `/_stcore/stream`."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.host = self.url.split("//", 1)[1]
        self.cookie = ""
        self.session_id = ""
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}  # by the app's key (the id's last part)
        self.states: dict[str, Any] = {}  # widget id -> the WidgetState last set by us
        self._ws: Any = None
        self._reader: asyncio.Task | None = None
        self._finished: asyncio.Queue[int] = asyncio.Queue()
        self._responses: dict[str, asyncio.Future] = {}
        self._download_seen = asyncio.Event()
        self._download_at = 0.0
        self.finished: list[int] = []  # every run's end status, in order (ScriptFinishedStatus)
        self.alerts: list[str] = []  # the text of every message box drawn (st.success...)

    # ------------------------------------------------------------------ connection

    async def open(self) -> None:
        import websockets

        self.cookie = await asyncio.to_thread(self._page_cookie)
        self._ws = await websockets.connect(
            f"ws://{self.host}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
            additional_headers={"Origin": self.url, "Cookie": self.cookie})
        self._reader = asyncio.create_task(self._read())
        await self.rerun({})

    def _page_cookie(self) -> str:
        """The owner cookie the guard gives with the page (as a browser gets it)."""
        with urllib.request.urlopen(self.url + "/", timeout=STEP_TIMEOUT) as answer:
            answer.read()
            cookies = answer.headers.get_all("set-cookie") or []
        return "; ".join(c.split(";", 1)[0] for c in cookies)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing anyway
                pass

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        async for raw in self._ws:
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, msg.delta.fragment_id)
            elif kind == "delta" and msg.delta.WhichOneof("type") == "add_block":
                self._block(msg.delta.add_block, msg.delta.fragment_id)
            elif kind == "script_finished":
                self.finished.append(msg.script_finished)
                self._finished.put_nowait(msg.script_finished)
            elif kind == "backend_operation_response":
                waiting = self._responses.pop(msg.backend_operation_response.request_id, None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(msg.backend_operation_response)

    def _element(self, element: Any, fragment_id: str) -> None:
        kind = element.WhichOneof("type")
        proto = getattr(element, kind)
        if kind == "alert":
            self.alerts.append(proto.body)
        widget_id = getattr(proto, "id", "")
        if not isinstance(widget_id, str) or not widget_id.startswith("$$ID-"):
            return
        key = widget_id.split("-", 2)[-1]
        self.widgets[key] = Widget(widget_id, kind, fragment_id, proto)
        self._mirror(widget_id, kind, proto)
        seen = self._download_seen
        if kind == "download_button" and proto.deferred_file_id and not seen.is_set():
            self._download_at = time.perf_counter()
            seen.set()

    def _block(self, block: Any, fragment_id: str) -> None:
        """An expander with a key holds its open state as a widget does (the sheet section
        is drawn only once it is opened): kept by key, like the elements' widgets."""
        if block.WhichOneof("type") == "expandable" and block.expandable.id.startswith("$$ID-"):
            widget_id = block.expandable.id
            self.widgets[widget_id.split("-", 2)[-1]] = Widget(widget_id, "expander",
                                                               fragment_id, block.expandable)

    def _mirror(self, widget_id: str, kind: str, proto: Any) -> None:
        """Keep the value the page would now hold for this widget, as the frontend does: the
        value the server set (`set_value`: a callback or session state changed it), else,
        for a widget seen for the first time, its default. Every rerun sends them all."""
        if kind == "checkbox":
            if proto.set_value:
                self.states[widget_id] = bool(proto.value)
            elif widget_id not in self.states:
                self.states[widget_id] = bool(proto.default)
        elif kind in ("text_input", "text_area"):
            if proto.set_value:
                if proto.HasField("value"):
                    self.states[widget_id] = proto.value
                else:
                    self.states.pop(widget_id, None)
            elif widget_id not in self.states and proto.HasField("default"):
                self.states[widget_id] = proto.default
        elif kind in ("radio", "selectbox"):
            if proto.set_value:
                if proto.HasField("raw_value"):
                    self.states[widget_id] = proto.raw_value
                else:
                    self.states.pop(widget_id, None)
            elif widget_id not in self.states and proto.HasField("default"):
                self.states[widget_id] = proto.options[proto.default]

    # ------------------------------------------------------------------ actions

    async def rerun(self, changes: dict[str, Any], *, trigger: str | None = None,
                    fragment_of: str | None = None) -> None:
        """Send the values in `changes` (by key: str, bool or float) and an optional button
        `trigger`, as one rerun (of the fragment holding `fragment_of`, if any), and wait until
        the server has finished that run and any run it starts by itself."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        for key, value in changes.items():
            self.states[self.widgets[key].id] = value
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = ""
        rerun.page_script_hash = self.page_hash
        rerun.widget_states.SetInParent()
        for widget_id, value in self.states.items():
            state = rerun.widget_states.widgets.add()
            state.id = widget_id
            if isinstance(value, bool):
                state.bool_value = value
            elif isinstance(value, float):
                state.double_value = value
            else:
                state.string_value = value
        if trigger is not None:
            state = rerun.widget_states.widgets.add()
            state.id = self.widgets[trigger].id
            state.trigger_value = True
        if fragment_of is not None:
            rerun.fragment_id = self.widgets[fragment_of].fragment_id
        while not self._finished.empty():  # a run that ended late belongs to an earlier step
            self._finished.get_nowait()
        await self._ws.send(msg.SerializeToString())
        await self._until_idle()

    async def _until_idle(self) -> None:
        """Until a run finishes and no other follows within a moment (an st.rerun)."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        status = await asyncio.wait_for(self._finished.get(), STEP_TIMEOUT)
        while True:
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                status = await asyncio.wait_for(self._finished.get(), STEP_TIMEOUT)
                continue
            try:
                status = await asyncio.wait_for(self._finished.get(), 0.05)
            except TimeoutError:
                return

    def value(self, key: str) -> Any:
        widget = self.widgets.get(key)
        return None if widget is None else widget.proto

    def option(self, key: str, shown: str) -> str:
        """The value a radio sends for the option shown as `shown` (its formatted label)."""
        options = list(self.widgets[key].proto.options)
        if shown not in options:
            raise ProtocolError(f"{key}: no option {shown!r} in {options}")
        return shown

    # ------------------------------------------------------------------ the clinician's steps

    async def fill_and_get_ready(self, tumour_cm: str) -> None:
        """Tumour size and cirrhosis "No", the sheet section opened, the suggested options
        ticked, then the review box, as the browser bench does; Prepare is then enabled
        (checked on the server's button)."""
        await self.rerun({"f_largest_tumour_cm": tumour_cm,
                          "f_cirrhosis": self.option("f_cirrhosis", "No")})
        if "sheet_open" not in self.widgets:
            raise ProtocolError("the sheet section was not drawn")
        await self.rerun({"sheet_open": True})  # opening it reruns the page, which draws it
        if "tick_suggested" not in self.widgets:
            raise ProtocolError("the sheet panel was not drawn")
        await self.rerun({}, trigger="tick_suggested", fragment_of="tick_suggested")
        await self.tick_review(True)
        if self.widgets["prepare"].proto.disabled:
            raise ProtocolError("Prepare is not enabled after ticking the review box")

    async def tick_review(self, ticked: bool) -> None:
        await self.rerun({"s_confirmed": ticked}, fragment_of="s_confirmed")

    async def withdraw(self) -> None:
        """Untick and tick again the review box: the sheet is withdrawn, Prepare enabled."""
        await self.tick_review(False)
        self.widgets.pop("download", None)
        await self.tick_review(True)

    async def prepare(self) -> float:
        """Press Prepare; seconds until the Download button's element arrived (then waits for
        the run to end, as the browser bench waits for the page to be idle)."""
        self.widgets.pop("download", None)
        self._download_seen.clear()
        began = time.perf_counter()
        await self.rerun({}, trigger="prepare", fragment_of="prepare")  # and the run ends
        if not self._download_seen.is_set():
            raise ProtocolError(f"no Download button after Prepare (runs {self.finished[-4:]}, "
                                f"last message {self.alerts[-1:]})")
        return self._download_at - began

    async def download(self) -> tuple[float, bytes]:
        """Press Download: the deferred download is run by the server, and the PDF fetched
        from the link it answers with. Seconds to the last byte, and the checked PDF."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        file_id = self.widgets["download"].proto.deferred_file_id
        request_id = uuid.uuid4().hex
        answer: asyncio.Future = asyncio.get_running_loop().create_future()
        self._responses[request_id] = answer
        msg = BackMsg()
        msg.backend_operation_request.request_id = request_id
        msg.backend_operation_request.session_id = self.session_id
        msg.backend_operation_request.deferred_file.file_id = file_id
        began = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        response = await asyncio.wait_for(answer, STEP_TIMEOUT)
        if response.error_msg:
            raise ProtocolError(f"download refused: {response.error_msg}")
        data = await asyncio.to_thread(self._fetch, response.deferred_file.url)
        took = time.perf_counter() - began
        check_pdf(data)
        return took, data

    def _fetch(self, url: str) -> bytes:
        address = url if url.startswith("http") else self.url + "/" + url.lstrip("/")
        request = urllib.request.Request(address, headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as answer:
            return answer.read()


def check_pdf(data: bytes) -> int:
    """The number of pages of a real PDF; ProtocolError for anything else."""
    if not (data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")):
        raise ProtocolError("the download is not a PDF")
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(data)).pages)
    if pages < 1:
        raise ProtocolError("the PDF has no page")
    return pages
