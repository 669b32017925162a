"""The gate of the sidecar's writing routes: writing enabled, same origin, a token or a signed-in session."""
from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.testclient import TestClient

from search_api.write_guard import TOKEN_COOKIE, TOKEN_HEADER, writing_route


def app_with(token: str) -> tuple[Starlette, list[str]]:
    written: list[str] = []

    async def toggle(request):
        written.append((await request.body()).decode())
        return JSONResponse({"ok": True})

    return Starlette(routes=[writing_route("/api/pick", toggle, lambda: token)]), written


def test_no_token_configured_means_writing_is_off():
    app, written = app_with("")
    answer = TestClient(app, base_url="http://nas:8080").post("/api/pick", content="1", headers={TOKEN_HEADER: ""})
    error = answer.json()["error"]
    assert answer.status_code == 403 and "gallery passwd" in error and "GALLERY_API_TOKEN" in error
    assert written == []


def test_same_origin_with_the_token_writes_and_everything_else_is_refused():
    app, written = app_with("s3cret")
    client = TestClient(app, base_url="http://nas:8080")
    assert client.post("/api/pick", content="a", headers={TOKEN_HEADER: "s3cret", "Origin": "http://nas:8080",
                                                          "Sec-Fetch-Site": "same-origin"}).status_code == 200
    client.cookies.set(TOKEN_COOKIE, "s3cret")
    assert client.post("/api/pick", content="b").status_code == 200  # no Origin (curl): the cookie suffices
    client.cookies.clear()
    refused = {
        "wrong token": {TOKEN_HEADER: "guess"},
        "no token": {},
        "other site": {TOKEN_HEADER: "s3cret", "Origin": "http://evil.example"},
        "cross-site fetch": {TOKEN_HEADER: "s3cret", "Sec-Fetch-Site": "cross-site"},
    }
    for case, headers in refused.items():
        answer = client.post("/api/pick", content="x", headers=headers)
        assert answer.status_code == 403 and answer.json()["error"], case
    assert client.get("/api/pick").status_code == 405
    assert written == ["a", "b"]


def test_the_guard_asks_the_apps_session_keeper(tmp_path):
    """Route modules pass only the token; a signed-in session is found through app.state.auth."""
    from gallery_builder.core.passwords import make_credentials, save_credentials
    from search_api.auth import SESSION_COOKIE, SessionKeeper

    app, written = app_with("")
    app.state.auth = SessionKeeper(tmp_path)
    client = TestClient(app, base_url="http://nas:8080")
    assert "gallery passwd --home " + str(tmp_path) in client.post("/api/pick", content="off").json()["error"]
    save_credentials(tmp_path, make_credentials("a long password"))
    assert "sign in" in client.post("/api/pick", content="out").json()["error"]
    client.cookies.set(SESSION_COOKIE, app.state.auth.new_session())
    assert client.post("/api/pick", content="in").status_code == 200
    assert client.post("/api/pick", content="evil", headers={"Origin": "http://evil.example"}).status_code == 403
    assert written == ["in"]
