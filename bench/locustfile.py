"""The day's traffic of a call centre, for locust (driven by ``bench/load_web.py``; see its doc).

* ``Agent`` (200): the workbench as a person works it — the workbench, a press of "next task",
  the work page, a few clicks in the script (htmx), the call itself (think time), the result.
  Results are the unreachable ones (no answer, busy, powered off): a reached customer's answers
  depend on each questionnaire, and the claim, the script and the attempt's write are the same.
* ``Supervisor`` (8): the task list of their region, the cases board, the dashboard and the
  reports home, reading each for a while.
* ``Headquarters`` (4): the reports (home, agents, a month by region), the dashboard and the
  whole task list.

Every user starts with the signed-in session ``bench/load_web.py`` made for it (the file named by
``HUIFANG_LOAD_SESSIONS``), or else logs in through the form; the runner resets the figures when
all have started.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from typing import Any

from locust import HttpUser, between, task

PASSWORD = "load-test-only"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The unreachable results; a work page offers those of its channel (on site: not at home).
UNREACHED = ("no_answer", "busy", "powered_off", "not_home")
RESULT_CHOICE = re.compile(r'name="result"[^>]*value="([a-z_]+)"|value="([a-z_]+)"[^>]*name="result"')
SCRIPT_ANSWERS: tuple[dict[str, str], ...] = (
    {"q_satisfaction": "satisfied"},
    {"q_satisfaction": "average"},
    {},
)


class Staff(HttpUser):
    abstract = True
    usernames: list[str] = []

    def on_start(self) -> None:
        self.client.verify = False  # the throw-away certificate of the run
        username = self.usernames.pop()
        sessions = os.environ.get("HUIFANG_LOAD_SESSIONS")
        if sessions:
            with open(sessions, encoding="utf-8") as f:
                key = json.load(f)[username]
            self.client.cookies.set("sessionid", key, domain="127.0.0.1", path="/")
            first = self.client.get("/", name="first page (the CSRF cookie)")
            assert "/login/" not in first.url, f"the session of {username} was not accepted"
            return
        page = self.client.get("/login/", name="log-in page")
        token = CSRF_FIELD.search(page.text)
        assert token, "no CSRF field on the log-in page"
        self.client.post(
            "/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{self.host}/login/"},
            name="log in",
        )

    def post(self, url: str, data: dict[str, Any], *, name: str, **kwargs: Any) -> Any:
        """A form POST as the browser sends it over HTTPS: the CSRF token and a same-site Referer."""
        headers = {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Referer": f"{self.host}/"}
        headers.update(kwargs.pop("headers", {}))
        return self.client.post(url, data, headers=headers, name=name, allow_redirects=False, **kwargs)


class Agent(Staff):
    fixed_count = 200
    usernames = [f"agent{n:03d}" for n in range(200, 0, -1)]
    wait_time = between(2, 5)  # between one call and the next: reading the workbench

    @task
    def one_call(self) -> None:
        self.client.get("/", name="agent: workbench")
        self._think(2, 5)
        claimed = self.post("/followups/next/", {}, name="agent: next task (claim)")
        location = claimed.headers.get("Location", "")
        if not location.endswith("/work/"):
            return  # nothing to call now: back to the workbench after a pause
        work = self.client.get(location, name="agent: work page")
        offered = {a or b for a, b in RESULT_CHOICE.findall(work.text)}
        results = [r for r in UNREACHED if r in offered] or ["no_answer"]
        pk = location.rstrip("/").split("/")[-2]
        # The call: the agent dials, waits, talks; the script is clicked along the way (htmx).
        for answers in random.sample(SCRIPT_ANSWERS, 2):
            self._think(5, 15)
            self.post(
                f"/followups/{pk}/script/",
                answers,
                name="agent: script (htmx)",
                headers={"HX-Request": "true"},
            )
        self._think(3, 8)
        self.post(f"/followups/{pk}/attempt/", {"result": random.choice(results)}, name="agent: attempt")

    def _think(self, low: float, high: float) -> None:
        # Locust's users are greenlets: time.sleep is patched by gevent to yield to the others.
        time.sleep(random.uniform(low, high))


class Supervisor(Staff):
    fixed_count = 8
    usernames = [f"supervisor{n}" for n in range(8, 0, -1)]
    wait_time = between(10, 20)  # reading a list or a report

    @task(3)
    def task_list(self) -> None:
        self.client.get("/followups/", name="supervisor: task list")

    @task(2)
    def task_list_open(self) -> None:
        self.client.get("/followups/?status=open", name="supervisor: task list (open)")

    @task(1)
    def cases(self) -> None:
        self.client.get("/cases/board/", name="supervisor: cases board")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/reports/dashboard/", name="reports: dashboard")

    @task(2)
    def reports(self) -> None:
        self.client.get("/reports/", name="reports: home")


class Headquarters(Staff):
    fixed_count = 4
    usernames = [f"hq{n}" for n in range(4, 0, -1)]
    wait_time = between(10, 20)

    @task(2)
    def reports(self) -> None:
        self.client.get("/reports/", name="reports: home")

    @task(1)
    def agents(self) -> None:
        self.client.get("/reports/agents/", name="reports: agents")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/reports/dashboard/", name="reports: dashboard")

    @task(1)
    def whole_task_list(self) -> None:
        self.client.get("/followups/", name="hq: task list")
