"""Routes of imports."""

from fastapi import APIRouter

router = APIRouter(tags=["imports"])
