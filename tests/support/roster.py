"""The test roster: four precincts in three counties, one chair with two phones, one without a
`+1` number, as the tests' chairs and staff know them. No Redis needed, so unit tests load it too."""
from __future__ import annotations

import io

from sqlalchemy.orm import Session

from hotline.services.ops import demo_roster, importing

ROSTER = """precinct,county,name,delegates,chair,phones,pin,past_turnout
DSM-42,Polk,Des Moines 42,7,Maria Nguyen,+15155550142,4321,250
DSM-7,Polk,Des Moines 7,3,James Olson,+15155550107;+15155550177,1234,90
AMES-1,Story,Ames 1,1,Linda Meyer,(515) 555-0201,9999,
IC-5,Johnson,Iowa City 5,4,Paul Kruse,+13195550105,5555,120
"""
COUNTIES = "county,state_delegates\nPolk,4\nStory,1\nJohnson,2\n"


def load(session: Session, roster: str = ROSTER) -> None:
    """The 2020 Iowa candidates, this roster (or another) and the counties, in one transaction."""
    importing.import_candidates(session, io.StringIO(demo_roster.candidates_csv()))
    importing.import_roster(session, io.StringIO(roster))
    importing.import_counties(session, io.StringIO(COUNTIES))
