"""Routes of workers."""

from fastapi import APIRouter

router = APIRouter(tags=["workers"])
