"""The precinct board cut into pages (pure: no database)."""
from __future__ import annotations

from hotline.services.console.board import PAGE_SIZE, Board, Row, Tally, paged


def board(n: int) -> Board:
    rows = [Row(f"DSM-{i}", "", "Polk", "not_reported", (), False, None) for i in range(1, n + 1)]
    return Board(rows, [], Tally("Statewide"), n)


def test_pages_of_the_chosen_size_and_the_last_page_past_the_end():
    page = paged(board(250), 3, 100)
    assert (page.page, page.pages, page.matching, len(page.rows), page.rows[0].code) == (3, 3, 250, 50, "DSM-201")
    assert paged(board(250), 9, 100).page == 3 and paged(board(250), -1, 100).page == 1


def test_a_size_not_offered_falls_back_and_an_empty_board_has_one_page():
    assert paged(board(250), 1, 7).per_page == PAGE_SIZE
    empty = paged(board(0), 1, 50)
    assert (empty.page, empty.pages, empty.rows) == (1, 1, [])
