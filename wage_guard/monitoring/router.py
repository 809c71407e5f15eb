"""Routes of monitoring."""

from fastapi import APIRouter

router = APIRouter(tags=["monitoring"])
