"""Events over Feishu's long connection (长连接): lark-oapi's ws.Client, in a thread of its own.

The SDK's ws module takes an event loop into a module global when it is imported and runs
everything on that loop (larksuite/oapi-sdk-python issues #96, #119, #133): imported inside
a running loop, its `start()` fails with "This event loop is already running". So the
client is made and started in a dedicated thread, on a new loop that is set as that
thread's loop and as the module's, and nothing else in reportbot imports lark_oapi at
import time. One long connection per process (the module global allows no more).

Reconnecting: the SDK's own, within a run: when the connection drops it discovers the
endpoint again and reconnects, every ReconnectInterval seconds as the platform's endpoint
answer configures it (after a random first delay of up to ReconnectNonce seconds). When the
SDK gives up (start() raises, its reconnect count runs out, or it stays down for
`give_up_after` seconds), this thread starts a new client after a delay from
bot.core.platform.Backoff (doubling, jittered, capped).

Card presses: the platform delivers them in frames of type `card` as well as `event`
(larksuite/oapi-sdk-python#126), and lark-oapi 1.7.5 drops `card` frames unanswered (the user
then sees error 200340 after 3 s). The client here answers them as it answers events: the
payload (a v2 card.action.trigger, or the older card callback without a schema) goes to the
bot's press handler, and its toast and card go back in the response frame.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any

from bot.core.platform import Backoff
from bot.feishu.bot import FeishuBot

log = logging.getLogger(__name__)


class LongConnection:
    """Runs the SDK's ws.Client for `bot` in a daemon thread until stop()."""

    def __init__(
        self,
        bot: FeishuBot,
        app_id: str,
        app_secret: str,
        domain: str,
        give_up_after: float = 600.0,
        backoff: Backoff | None = None,
        debug: bool = False,
    ) -> None:
        self.bot = bot
        self.app_id, self._secret, self.domain = app_id, app_secret, domain
        self.give_up_after = give_up_after
        self.backoff = backoff or Backoff(first=1.0, cap=60.0)
        self.debug = debug
        self.runs = 0  # clients started so far (the first, and one per restart)
        self._stop = threading.Event()
        self._down_since: float | None = None
        self._thread = threading.Thread(target=self._run, name="feishu-ws", daemon=True)

    def start(self) -> LongConnection:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def wait(self) -> None:
        """Block until the thread ends (stop() from another thread, or Ctrl+C)."""
        while self._thread.is_alive():
            self._thread.join(0.5)

    # --- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self._run_once()
            if self._stop.is_set():
                break
            if time.monotonic() - started > 60:
                self.backoff.reset()  # it held a while: not a failing start
            delay = self.backoff.next_delay()
            log.warning("feishu long connection ended; starting again in %.1fs", delay)
            self._stop.wait(delay)

    def _run_once(self) -> None:
        """One ws.Client on a new loop, until it fails for good or stop() is asked."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        import lark_oapi as lark
        import lark_oapi.ws.client as ws_client

        ws_client.loop = loop  # the SDK's module-level loop: this thread's (issues #96/#119/#133)
        handler = (
            lark.EventDispatcherHandler.builder("", "")
            .register_p2_im_message_receive_v1(self._on_message)
            .register_p2_card_action_trigger(self._on_press)
            .build()
        )
        client = _client_class()(
            self.on_card,
            self.app_id,
            self._secret,
            event_handler=handler,
            domain=self.domain,
            log_level=lark.LogLevel.DEBUG if self.debug else lark.LogLevel.INFO,
        )
        client.on_reconnecting = self._went_down
        client.on_reconnected = self._came_back
        self._down_since = None
        self.runs += 1
        watch = loop.create_task(self._watch(loop))
        try:
            client.start()  # returns only by raising: a stop, or the SDK giving up
        except RuntimeError:
            pass  # the loop was stopped by _watch
        except Exception as e:
            log.error("feishu long connection failed: %s", e)
        finally:
            watch.cancel()
            self._close(loop, client)

    async def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Stop the loop on stop(), or when the SDK has been reconnecting for too long; again
        each time the SDK runs it anew (its start() catches some errors and goes on)."""
        while True:
            await asyncio.sleep(0.1)
            down = self._down_since
            if self._stop.is_set() or (down is not None and time.monotonic() - down > self.give_up_after):
                loop.stop()

    def _went_down(self) -> None:
        self._down_since = time.monotonic()
        log.warning("feishu long connection lost; the SDK reconnects")

    def _came_back(self) -> None:
        self._down_since = None
        log.info("feishu long connection back")

    @staticmethod
    def _close(loop: asyncio.AbstractEventLoop, client: Any) -> None:
        """Stop the SDK's tasks, close the websocket (so that the platform sees the bot go),
        and close the loop."""
        for task in asyncio.all_tasks(loop):
            task.cancel()
        conn = getattr(client, "_conn", None)  # the SDK has no public close
        try:
            loop.run_until_complete(asyncio.sleep(0))
            if conn is not None:
                loop.run_until_complete(asyncio.wait_for(conn.close(), 2))
        except Exception as e:
            log.info("feishu long connection close: %s", type(e).__name__)
        finally:
            loop.close()

    # --- events, on the SDK's loop: handed to the bot at once ----------------------------------

    def _on_message(self, data: Any) -> None:
        """im.message.receive_v1: to the bot, which answers in a worker."""
        self.bot.on_event(_as_dict(data))

    def _on_press(self, data: Any) -> Any:
        """card.action.trigger: the bot's toast and card, within the 3 seconds allowed."""
        from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

        return P2CardActionTriggerResponse(self.bot.on_event(_as_dict(data)) or {})

    def on_card(self, payload: bytes) -> dict[str, Any]:
        """A `card` frame's payload: the press it is, answered as a card.action.trigger is."""
        try:
            body = json.loads(payload)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.warning("feishu sent a card frame that is not a JSON object")
            return {}
        if body.get("schema") is None and "action" in body:
            body = card_event(body)
        return self.bot.on_event(body) or {}


def card_event(body: dict[str, Any]) -> dict[str, Any]:
    """The older card callback (open_id, open_message_id, open_chat_id, token, action at the
    top) as the v2 card.action.trigger event the bot reads."""
    token = str(body.get("token") or "")
    return {
        "schema": "2.0",
        "header": {"event_id": f"card:{token}" if token else "", "event_type": "card.action.trigger"},
        "event": {
            "operator": {"open_id": body.get("open_id") or "", "user_id": body.get("user_id") or ""},
            "token": token,
            "action": body.get("action") or {},
            "context": {
                "open_message_id": body.get("open_message_id") or "",
                "open_chat_id": body.get("open_chat_id") or "",
            },
        },
    }


def _client_class() -> Any:
    """lark-oapi's ws.Client, answering `card` frames (which it drops) through `on_card`."""
    import base64
    import http

    import lark_oapi as lark
    from lark_oapi.ws import client as ws_client
    from lark_oapi.ws.const import HEADER_BIZ_RT, HEADER_MESSAGE_ID, HEADER_SEQ, HEADER_SUM, HEADER_TYPE
    from lark_oapi.ws.enum import MessageType
    from lark_oapi.ws.model import Response

    class Client(lark.ws.Client):  # type: ignore[misc,name-defined]
        def __init__(self, on_card: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._on_card = on_card

        async def _handle_data_frame(self, frame: Any) -> None:
            headers = frame.headers
            if ws_client._get_by_key(headers, HEADER_TYPE) != MessageType.CARD.value:
                await super()._handle_data_frame(frame)
                return
            payload = frame.payload
            total = int(ws_client._get_by_key(headers, HEADER_SUM))
            if total > 1:  # a payload in several frames: answered once the last has come
                msg_id = ws_client._get_by_key(headers, HEADER_MESSAGE_ID)
                seq = int(ws_client._get_by_key(headers, HEADER_SEQ))
                payload = self._combine(msg_id, total, seq, payload)
                if payload is None:
                    return
            started = time.monotonic()
            response = Response(code=http.HTTPStatus.OK)
            try:
                result = self._on_card(payload)
                response.data = base64.b64encode(json.dumps(result, ensure_ascii=False).encode())
            except Exception as e:
                log.error("feishu card frame failed: %s", type(e).__name__)
                response = Response(code=http.HTTPStatus.INTERNAL_SERVER_ERROR)
            took = headers.add()
            took.key, took.value = HEADER_BIZ_RT, str(int((time.monotonic() - started) * 1000))
            frame.payload = lark.JSON.marshal(response).encode()
            await self._write_message(frame.SerializeToString())

    return Client


def _as_dict(data: Any) -> dict[str, Any]:
    """An SDK event object as the JSON the platform sent (schema, header, event)."""
    import lark_oapi as lark

    result = json.loads(lark.JSON.marshal(data) or "{}")
    return result if isinstance(result, dict) else {}
