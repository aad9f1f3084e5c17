"""`make run`: start the action server, the Rasa server and the chat page; Ctrl-C stops all."""

from __future__ import annotations

import signal
import sys
import time

from scripts.stack import Stack


def main() -> int:
    # Ctrl-C and SIGTERM both stop everything, even when started from a shell that ignores
    # SIGINT for background jobs (Python then leaves SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    stack = Stack.create()
    print(f"Starting with model {stack.model.name} (logs in {stack.log_dir})...", flush=True)
    try:
        stack.start()
    except (RuntimeError, TimeoutError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped during start-up.", flush=True)
        return 0
    print(
        f"Ready.\n  Chat page:     {stack.web_url}\n"
        f"  REST channel:  POST {stack.rasa_url}/webhooks/rest/webhook\n"
        f"  Action server: {stack.action_url}\n"
        f"  Staff console: {stack.console_url}  (first admin: python -m console.cli create-admin)\n"
        f"  Agents' API:   {stack.agent_api_url}\nPress Ctrl-C to stop.",
        flush=True,
    )
    try:
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        print(
            f"ERROR: {', '.join(dead)} stopped:\n" + "\n".join(stack.log_tail(n) for n in dead),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
