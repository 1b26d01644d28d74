"""The agent's workbench (工作台): placeholder views until the workbench is built."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def claim_next(request: HttpRequest) -> HttpResponse:
    return redirect("web:workbench")


def work(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect("web:workbench")


script = attempt = release = work


def closing(request: HttpRequest) -> HttpResponse:
    return redirect("web:workbench")
