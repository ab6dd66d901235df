"""#22 item 15: secrets in URLs are redacted from the log after percent-decoding. ``?%74oken=``
is ``?token=`` to the server, and ``/v1/invitation%73/…`` an invitation link; both were logged
in clear by uvicorn's access line (it logs the raw path)."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

from tests.live_server import ServerProcess

SECRETS = {
    "GET": ["/v1/sessions?%74oken=SECRET-A", "/v1/sessions?x=1&toke%6E=SECRET-B"],
    "POST": ["/v1/invitation%73/SECRET-C", "/v1/invitations%2FSECRET-D"],
}


def test_encoded_secrets_are_redacted(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path).start()
    try:
        for method, paths in SECRETS.items():
            for path in paths:
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                connection.request(method, path, body=b"{}" if method == "POST" else None)
                connection.getresponse().read()
                connection.close()
        deadline = time.monotonic() + 5
        while (
            time.monotonic() < deadline
            and "SECRET-D" not in server.log.read_text()
            and (server.log.read_text().count("[redacted]") < 4)
        ):
            time.sleep(0.1)
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    assert "SECRET" not in log, [line for line in log.splitlines() if "SECRET" in line]
    assert log.count("[redacted]") >= 4, log[-2000:]
