"""The dashboard's filters (a period, a channel, a campaign, an owner; how the campaign
table and the trends read) and the calibration page's target."""

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from alignment.roles import MANAGER, MARKETING, SALES, has_role
from campaigns.forms import DateInput
from campaigns.models import Campaign, Channel
from handoffs.routing.forms import RepChoiceField
from kpis.dashboard import CAMPAIGN_SORTS, DashboardQuery
from kpis.queries import ATTRIBUTION_LABELS, ATTRIBUTIONS, MAX_BUCKETS, Period, Scope
from kpis.queries.buckets import INTERVALS, bucket_count
from leads.scoring.calibration import DEFAULT_TARGET, MAX_TARGET, MIN_TARGET

PERIODS = [
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "Dates"),
]
DEFAULT_PERIOD = "30"
LONGEST_DAYS = 3660
#: Dates the filters take (a period's end is the midnight after it, which must exist).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
#: Up to this many weeks the trends count by week unless told otherwise; then by month.
AUTO_WEEKS = 26
DEFAULT_SORT = "-spend"
SORT_LABELS = {
    "name": "campaign",
    "spend": "spend",
    "leads": "leads",
    "mqls": "MQLs",
    "sqls": "SQLs",
    "won": "won",
    "won_amount": "won revenue",
    "cost_per_lead": "cost per lead",
    "cost_per_sql": "cost per SQL",
    "roi": "ROI",
    "acceptance_rate": "acceptance",
    "top_rejection_reason": "top rejection reason",
}
SORTS = [
    choice
    for key in CAMPAIGN_SORTS
    for choice in (
        (key, f"{SORT_LABELS[key]}, ascending"),
        (f"-{key}", f"{SORT_LABELS[key]}, descending"),
    )
]
MINE, EVERYONE = "mine", "everyone"


def preset_dates(preset: str, today: date) -> tuple[date, date]:
    """The first and last day of a preset period; this month and quarter run to today."""
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    days = int(preset)
    return today - timedelta(days=days - 1), today


def period_label(preset: str, first: date, last: date) -> str:
    """How people name the period: "Last 30 days", "March 2026", "Q1 2026 so far"."""
    if preset == "last_month":
        return f"{first:%B %Y}"
    if preset == "this_month":
        return f"{first:%B %Y} so far"
    if preset == "this_quarter":
        return f"Q{(first.month - 1) // 3 + 1} {first.year} so far"
    if preset == "custom":
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    return dict(PERIODS)[preset]


class DashboardFilterForm(forms.Form):
    """The dashboard's filters, in the URL (GET), for the page and its CSV exports.

    A bad value is an error on its field and counts as not given: the rest of the
    filters still apply (``query``). A marketer looks at their own campaigns (``whose``)
    unless they ask for everyone's.
    """

    period = forms.ChoiceField(choices=PERIODS, required=False, label="Period")
    start = forms.DateField(required=False, widget=DateInput(), label="From")
    end = forms.DateField(required=False, widget=DateInput(), label="To")
    channel = forms.ChoiceField(
        choices=[("", "All channels"), *Channel.choices], required=False, label="Channel"
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label="All campaigns",
        label="Campaign",
    )
    owner = RepChoiceField(
        queryset=get_user_model()
        .objects.filter(groups__name__in=[MARKETING, SALES])
        .distinct()
        .order_by("first_name", "last_name", "username"),
        required=False,
        empty_label="Anyone",
        label="Owner",
        help_text="Their leads: the ones they own and the ones of campaigns they own.",
    )
    whose = forms.ChoiceField(
        choices=[(MINE, "My campaigns"), (EVERYONE, "Everyone")], required=False
    )
    attribution = forms.ChoiceField(
        choices=[(model, ATTRIBUTION_LABELS[model]) for model in ATTRIBUTIONS],
        required=False,
        label="Attribution",
    )
    interval = forms.ChoiceField(
        choices=[(interval, interval.capitalize()) for interval in INTERVALS],
        required=False,
        label="Trend by",
    )
    sort = forms.ChoiceField(choices=SORTS, required=False, label="Campaign table order")

    def __init__(self, data=None, *, user, today: date | None = None, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("period") and not data.get("start") and not data.get("end"):
            data["period"] = DEFAULT_PERIOD
        super().__init__(data, **kwargs)
        self.user = user
        self.today = today or timezone.localdate()
        #: A marketer (not a manager) starts from their own campaigns.
        self.can_choose_mine = has_role(user, MARKETING) and not has_role(user, MANAGER)
        if not self.can_choose_mine:
            del self.fields["whose"]

    def _clean_date(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(
                f"Give a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
            )
        return value

    def clean_start(self) -> date | None:
        return self._clean_date("start")

    def clean_end(self) -> date | None:
        return self._clean_date("end")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if self.errors.keys() & {"period", "start", "end"}:
            return data
        preset = data.get("period") or "custom"
        if preset == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError("Give both dates, or pick a preset period.")
            if end < start:
                self.add_error("end", "The end comes before the start.")
                return data
            if (end - start).days > LONGEST_DAYS:
                self.add_error("end", "Pick at most ten years.")
                return data
            data["period"] = "custom"
        else:
            # A preset decides: dates left in From and To from before do not count.
            start, end = preset_dates(preset, self.today)
        data["first_day"], data["last_day"] = start, end
        interval = data.get("interval")
        if interval and bucket_count(start, end, interval) > MAX_BUCKETS[interval]:
            self.add_error(
                "interval",
                f"A trend draws at most {MAX_BUCKETS[interval]} {interval}s: count by month.",
            )
        return data

    def query(self) -> DashboardQuery:
        """What to show: the valid filters; for a bad or missing one, its default."""
        self.is_valid()
        data = self.cleaned_data
        if "first_day" in data:
            preset = data["period"]
            first, last = data["first_day"], data["last_day"]
        else:
            preset = DEFAULT_PERIOD
            first, last = preset_dates(preset, self.today)
        mine = self.can_choose_mine and data.get("whose", MINE) != EVERYONE
        campaign, owner = data.get("campaign"), data.get("owner")
        if mine:
            owner = self.user
        interval = data.get("interval") or (
            "week" if bucket_count(first, last, "week") <= AUTO_WEEKS else "month"
        )
        return DashboardQuery(
            period=Period.from_dates(first, last),
            label=period_label(preset, first, last),
            scope=Scope(
                campaign=campaign.pk if campaign else None,
                channel=data.get("channel") or None,
                owner=owner.pk if owner else None,
            ),
            attribution=data.get("attribution") or "first_touch",
            interval=interval,
            sort=data.get("sort") or DEFAULT_SORT,
            mine=mine,
        )

    def bar_fields(self) -> list[forms.BoundField]:
        """The fields the filter bar shows: a marketer looking at their own campaigns
        has no owner to choose."""
        names = ["period", "start", "end", "channel", "campaign"]
        if not self.query().mine:
            names.append("owner")
        return [self[name] for name in names]

    def kept(self) -> dict[str, str]:
        """The valid choices the filter bar does not show (the table's order, the
        attribution model, the trends' interval, mine or everyone's), so that pressing
        "Show" keeps them."""
        return {
            name: self.cleaned_data[name]
            for name in ("whose", "attribution", "interval", "sort")
            if self.cleaned_data.get(name)
        }

    def hidden_errors(self) -> list[str]:
        """Errors of the fields the filter bar does not show, said with their name."""
        return [
            f"{self.fields[name].label or name}: {error}"
            for name in ("whose", "attribution", "interval", "sort")
            if name in self.errors
            for error in self.errors[name]
        ]


#: Acceptance targets offered on the calibration page; the API takes any in 0.5–1.0.
TARGETS = [(f"{percent / 100:g}", f"{percent} %") for percent in range(50, 101, 5)]


class CalibrationForm(forms.Form):
    """The acceptance rate the suggested threshold must keep (a fraction of 1)."""

    target = forms.DecimalField(
        min_value=Decimal(str(MIN_TARGET)),
        max_value=Decimal(str(MAX_TARGET)),
        max_digits=5,
        decimal_places=4,
        required=False,
        initial=Decimal(str(DEFAULT_TARGET)),
        label="Sales acceptance target",
        widget=forms.Select(choices=TARGETS),
    )

    def target_rate(self) -> float:
        """The target asked for; the default when none (or a bad one) was given."""
        if self.is_valid() and self.cleaned_data["target"] is not None:
            return float(self.cleaned_data["target"])
        return DEFAULT_TARGET
