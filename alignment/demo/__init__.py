"""The demo company, built by replaying its history through the real services.

Brightwave, in Berlin, sells revenue analytics to mid-size companies. Before its 90 days of
history begin, its sales manager sets the team's business hours (Mon–Fri 08:00–18:00 in
Berlin, public holidays off), the routing rules (enterprise accounts to Priya, DACH and
North America in weighted round robin, everyone else to the team queue), the reps'
capacities and Tom's week away; each of them picks how they want to be notified. Then its
marketers ran six campaigns; a few hundred people answered them; scoring made some of them
MQLs; routing offered each to a rep or to the team; reps claimed them in business hours
(sometimes late: the escalation chain warned them, told the managers and opened the lead
to the team), called, demoed, qualified, won, lost or sent them back, and the two teams
talked about a few of them in comments with @mentions. Every step calls the service the
product itself calls, with a back-dated clock, so stage history, routing, handoffs, SLA
escalations, notifications and events are what the product would have written. A handful
of fresh MQLs wait in the queue.

Its numbers are believable. More people answer each week as the quarter goes on, with a
jump on the day of the summit. An MQL's fate follows its score and fit at the handoff, as
in a real funnel: the calibration report finds that the score predicted the outcomes well,
though not perfectly. Deals are priced by the size of the company, so the campaigns
together pay back a few times over, though not every one of them has yet.

The story is drawn from a seeded random generator, so it is the same every time (relative
to the moment it is built, whichever weekday that is).

``cast`` holds the fixed story data (the team and its settings, the campaigns, the people
and what they say); ``story`` replays the history, with its sales half in ``sales``;
``refresh`` is what every start of the app runs on a built demo. The ``seed_demo``
command runs them.
"""
