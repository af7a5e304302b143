"""KPIs are computed from the other apps' tables and have none of their own to administer."""
