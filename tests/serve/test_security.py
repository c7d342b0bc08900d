"""The marking server refuses whoever lacks its token, changes nothing without the CSRF value and
our own origin, answers only to loopback names, and sends a strict Content-Security-Policy."""

from __future__ import annotations

import socket
import sys

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.manual import MarkStore

from .conftest import Client, csrf_of, signed_in

PAGES = ["/", "/mark", "/mark/t1", "/mark/t1/s01", "/mark/t1/grid", "/students/s01", "/students/s01/regrade",
         "/static/marking.js", "/static/report.css", "/static/serve.css", "/favicon.ico", "/nothing-here"]


def stored(out) -> dict:
    with MarkStore(out / "gradebook.sqlite") as store:
        return {(e.student, e.task, e.criterion): e for e in store.entries("exam")}


@pytest.mark.parametrize("how", ["none", "wrong token", "wrong cookie", "wrong header", "token in a POST"])
def test_nothing_is_served_without_the_token(server, how):
    client = Client(server.base, cookie=f"grader-token-{server.port}=not-it" if how == "wrong cookie" else None)
    headers = {"Authorization": "token not-it"} if how == "wrong header" else {}
    for path in PAGES:
        if how == "token in a POST":
            reply = client.post(f"{path}?token={server.token}", {"marker": "x"})
        else:
            reply = client.get(path + ("?token=not-it" if how == "wrong token" else ""), headers=headers)
        assert reply.status == 403, (path, reply.status)
        assert "s01" not in reply.body and "Student" not in reply.body and "function" not in reply.body
        assert "set-cookie" not in reply.headers


def test_the_token_in_the_address_becomes_a_cookie_and_leaves_the_address(server):
    first = Client(server.base).get(f"/mark?token={server.token}&done=1")
    assert first.status == 303 and first.headers["location"] == "/mark?done=1"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and server.token in cookie
    client = Client(server.base, cookie.split(";")[0])
    assert client.get("/").status == 200 and "s01" in client.get("/").body
    assert Client(server.base).get("/", headers={"Authorization": f"token {server.token}"}).status == 200


def test_every_change_needs_the_csrf_value_our_origin_and_a_form(server, out):
    client = signed_in(server)
    csrf = csrf_of(client.get("/mark/t2/s01").body)
    before = stored(out)
    mark = {"points.definition": "1"}
    changes = [("/mark/t2/s01", mark), ("/mark/t2/grid", {"p:s01:definition": "1", "o:s01:definition": ""}),
               ("/students/s01/regrade", {"task": "q01", "test": "answer", "points": "1", "reason": "r"}),
               ("/marker", {"marker": "mallory", "back": "/"})]
    for path, data in changes:
        assert client.post(path, data).status == 403, path  # no CSRF value
        assert client.post(path, {**data, "csrf": "0" * 64}).status == 403, path
        for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                        {"Sec-Fetch-Site": "same-site"}, {"Content-Type": "application/json"},
                        {"Content-Type": "multipart/form-data; boundary=x"}, {"Content-Type": "text/plain"}):
            assert client.post(path, {**data, "csrf": csrf}, headers=headers).status == 403, (path, headers)
    assert stored(out) == before
    assert "mallory" not in client.get("/").body
    assert client.post("/mark/t2/s01", {**mark, "csrf": csrf}).status == 303
    assert stored(out)[("s01", "t2", "definition")].points == 1


def test_a_request_addressed_to_another_name_is_refused(server):
    """A page that points its own domain at 127.0.0.1 (DNS rebinding) gets nothing, token or not."""
    client = signed_in(server)
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example", "10.0.0.1"):
        reply = client.get("/", headers={"Host": host})
        assert reply.status == 403 and "s01" not in reply.body, host
    assert client.get("/", headers={"Host": f"localhost:{server.port}"}).status == 200


def test_other_methods_are_refused(server):
    client = signed_in(server)
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        assert client.request(method, "/mark/t1/s01").status == 405


def test_pages_carry_a_strict_content_security_policy(server):
    client = signed_in(server)
    for path in ("/mark", "/mark/t1/s01", "/mark/t1/grid", "/students/s01/regrade", "/", "/students/s01"):
        reply = client.get(path)
        assert reply.status == 200, path
        policy = dict(part.strip().split(" ", 1) for part in reply.headers["content-security-policy"].split(";"))
        assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert policy["script-src"] in ("'self'", "'none'") and "unsafe" not in policy["script-src"]
        assert "unsafe" not in policy["style-src"] and policy["base-uri"] == "'none'"
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "same-origin" and reply.headers["x-frame-options"] == "DENY"
        assert "<script>" not in reply.body  # our only script is a file of our own
    assert "script-src 'none'" in client.get("/students/s01").headers["content-security-policy"]


def test_the_server_listens_on_loopback_unless_told_and_says_what_elsewhere_exposes(out, capsys):
    from grader.serve import Server

    local = Server(out, port=0)
    try:
        assert local.sock.getsockname()[0] == "127.0.0.1" and local.loopback
        local.announce(sys.stdout)
        said = capsys.readouterr()
        assert f"http://127.0.0.1:{local.port}/?token={local.token}" in said.out and "warning" not in said.err
    finally:
        local.close()
    wide = Server(out, host="0.0.0.0", port=0)  # bound, never started: nothing is served
    try:
        assert not wide.loopback
        wide.announce(sys.stdout)
        said = capsys.readouterr()
        assert "anyone who can reach" in said.err and "unencrypted" in said.err and "127.0.0.1" in said.err
    finally:
        wide.close()
    assert "default: 127.0.0.1" in CliRunner().invoke(main, ["serve", "--help"]).output


def test_serve_without_its_extra_is_a_usage_error_naming_the_install_command(out, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = CliRunner().invoke(main, ["serve", str(out)])
    assert result.exit_code == 2
    assert "pip install 'grader[serve]'" in result.output and "uvicorn" in result.output


def test_serve_usage_errors_name_the_problem(tmp_path, out):
    result = CliRunner().invoke(main, ["serve", str(tmp_path)])
    assert result.exit_code == 2 and "no gradebook here" in result.output
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        result = CliRunner().invoke(main, ["serve", str(out), "--port", str(busy.getsockname()[1])])
        assert result.exit_code == 2 and "cannot listen" in result.output and "--port" in result.output
    finally:
        busy.close()
    result = CliRunner().invoke(main, ["serve", str(out), "--exercise", "activations"])
    assert result.exit_code == 2 and "no graded submissions of activations" in result.output


def test_redirects_stay_on_this_server(server):
    first = Client(server.base).get(f"//evil.example/?token={server.token}")
    assert first.status == 303 and first.headers["location"] == "/evil.example/"
    client = signed_in(server)
    csrf = csrf_of(client.get("/mark").body)
    for back in ("//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", "javascript:x",
                 "/%0a/evil.example\n"):
        reply = client.post("/marker", {"csrf": csrf, "marker": "ana", "back": back})
        assert reply.status == 303 and reply.headers["location"] == "/", back
    assert client.post("/marker", {"csrf": csrf, "marker": "ana", "back": "/mark/t1/s01?x=1"}).headers["location"] \
        == "/mark/t1/s01?x=1"
