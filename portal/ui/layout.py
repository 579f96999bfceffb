"""Layout pieces that hold from a laptop's 900 px to a wide screen: cards that wrap instead of
truncating their numbers."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

CARD_WIDTH = 190  # px: "Out of support 12,345" fits; five of them wrap below about 1,000 px


def metric_cards(cards: Sequence[tuple[str, str] | tuple[str, str, str]]) -> None:
    """(label, value[, help]) as bordered cards in a row that wraps when the screen is narrow."""
    with st.container(horizontal=True, gap="small"):
        for card in cards:
            label, value = card[0], card[1]
            st.metric(label, value, help=card[2] if len(card) > 2 else None, border=True, width=CARD_WIDTH)
