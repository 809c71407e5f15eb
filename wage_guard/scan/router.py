"""Routes of scan."""

from fastapi import APIRouter

router = APIRouter(tags=["scan"])
