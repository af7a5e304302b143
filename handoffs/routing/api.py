"""REST API for routing: the rules, their dry run, the team calendar, rep availability.

``/api/v1/routing/rules/``, ``routing/dry-run/``, ``routing/calendar/`` and
``reps/{id}/availability/``. Managers write the rules and the calendar; everyone reads.
A rep sets their own time away; a manager sets anyone's, and capacities.
"""

from dataclasses import replace

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api import error_responses
from alignment.fields import DateTimeField
from alignment.roles import MANAGER, SALES, HasRole
from alignment.services import team_calendar_row, update_team_calendar
from handoffs.routing import engine, services
from handoffs.routing.models import RoutingRule
from leads.models import Lead
from leads.scoring.api import flat_errors

MANAGERS_WRITE = HasRole.of(write=(MANAGER,))
#: The largest id a (big integer) primary key holds.
MAX_ID = 2**63 - 1


def _valid(serializer: serializers.Serializer) -> dict:
    """The serializer's data, or a 400 keyed the way the API promises (``members[0].user``)
    instead of DRF's nesting."""
    if not serializer.is_valid():
        raise serializers.ValidationError(flat_errors(serializer.errors))
    return dict(serializer.validated_data)


def _sales_reps():
    return get_user_model().objects.filter(groups__name=SALES).distinct()


def _one_of(choices: list[tuple[str, str]]) -> dict[str, str]:
    names = ", ".join(name for name, _label in choices)
    return {"invalid_choice": f'"{{input}}" is not a valid choice; use one of: {names}.'}


class ConditionSerializer(serializers.Serializer):
    field = serializers.ChoiceField(
        choices=engine.FIELD_CHOICES, error_messages=_one_of(engine.FIELD_CHOICES)
    )
    operator = serializers.ChoiceField(
        choices=engine.OPERATOR_CHOICES, error_messages=_one_of(engine.OPERATOR_CHOICES)
    )
    value = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class MemberSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    weight = serializers.IntegerField(min_value=1, max_value=engine.MAX_WEIGHT, default=1)
    assigned = serializers.IntegerField(read_only=True, help_text="Leads this rule gave them.")


class RoutingRuleSerializer(serializers.ModelSerializer):
    """A rule as the API shows it."""

    conditions = ConditionSerializer(many=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "position",
            "name",
            "conditions",
            "action",
            "rep",
            "members",
            "active",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, rule: RoutingRule) -> list[dict]:
        return [
            {"user": member.user_id, "weight": member.weight, "assigned": member.assigned}
            for member in rule.members.all()
        ]


class RoutingRuleInputSerializer(serializers.Serializer):
    """Input of POST and PATCH ``routing/rules/``; the service checks the rules of a rule."""

    name = serializers.CharField(max_length=100)
    position = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    conditions = ConditionSerializer(many=True, required=False, default=list)
    action = serializers.ChoiceField(choices=RoutingRule.Action.choices)
    rep = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False, allow_null=True, default=None
    )
    members = MemberSerializer(many=True, required=False, default=list)
    active = serializers.BooleanField(required=False, default=True)

    def validate_conditions(self, value):
        if len(value) > engine.MAX_CONDITIONS:
            raise serializers.ValidationError(f"At most {engine.MAX_CONDITIONS} conditions.")
        return value

    def validate_members(self, value):
        if len(value) > engine.MAX_MEMBERS:
            raise serializers.ValidationError(f"At most {engine.MAX_MEMBERS} reps.")
        return value


@extend_schema_view(
    list=extend_schema(summary="The routing rules, in order (first match wins)"),
    retrieve=extend_schema(summary="One routing rule"),
)
class RoutingRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = RoutingRule.objects.prefetch_related("members").order_by("position", "id")
    serializer_class = RoutingRuleSerializer
    permission_classes = [MANAGERS_WRITE]
    filter_backends: list = []

    @extend_schema(
        summary="Add a routing rule (last, or at position)",
        request=RoutingRuleInputSerializer,
        responses={201: RoutingRuleSerializer, **error_responses(400, 403)},
    )
    def create(self, request):
        values = _valid(RoutingRuleInputSerializer(data=request.data))
        rule = services.create_rule(by=request.user, **values)
        return Response(self._show(rule), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a routing rule (members replace the rotation; position moves it)",
        request=RoutingRuleInputSerializer,
        responses={200: RoutingRuleSerializer, **error_responses(400, 403, 404)},
    )
    def partial_update(self, request, pk=None):
        rule = self.get_object()
        values = _valid(RoutingRuleInputSerializer(data=request.data, partial=True))
        rule = services.update_rule(rule, by=request.user, **values)
        return Response(self._show(rule))

    @extend_schema(
        summary="Delete a routing rule",
        responses={204: None, **error_responses(403, 404)},
    )
    def destroy(self, request, pk=None):
        services.delete_rule(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _show(self, rule: RoutingRule) -> dict:
        return RoutingRuleSerializer(self.get_queryset().get(pk=rule.pk)).data


class DryRunRuleSerializer(RoutingRuleInputSerializer):
    id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class DryRunInputSerializer(serializers.Serializer):
    """``{"leads": [ids]}`` or ``{"sample": n}`` (the latest n MQLs; 50 when neither),
    and optionally ``rules``: the whole ordered list as edited, instead of the saved one."""

    leads = serializers.ListField(
        # Ids past the database's integer range are refused here, not by the database.
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=500,
    )
    sample = serializers.IntegerField(required=False, min_value=1, max_value=500)
    rules = DryRunRuleSerializer(many=True, required=False)

    def validate(self, attrs):
        if "leads" in attrs and "sample" in attrs:
            raise serializers.ValidationError("Give leads or sample, not both.")
        return attrs


class DryRunRowSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    lead_name = serializers.CharField()
    would_go_to = serializers.IntegerField(allow_null=True, help_text="null: the team queue")
    would_go_to_name = serializers.CharField()
    rule = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    went_to = serializers.IntegerField(allow_null=True)
    went_to_name = serializers.CharField()
    went_reason = serializers.CharField()
    changed = serializers.BooleanField()


class DryRunResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    changed = serializers.IntegerField()
    results = DryRunRowSerializer(many=True)


def dry_run_answer(rows) -> dict:
    def name(user) -> str:
        return (user.get_full_name() or user.username) if user is not None else "Team queue"

    results = [
        {
            "lead": row.lead.pk,
            "lead_name": str(row.lead),
            "would_go_to": getattr(row.rep, "pk", None),
            "would_go_to_name": name(row.rep),
            "rule": row.rule_id or None,
            "reason": row.reason,
            "went_to": getattr(row.went_to, "pk", None),
            "went_to_name": name(row.went_to),
            "went_reason": row.went_reason,
            "changed": row.changed,
        }
        for row in rows
    ]
    return {
        "count": len(results),
        "changed": sum(1 for row in results if row["changed"]),
        "results": results,
    }


class DryRunView(APIView):
    permission_classes = [HasRole.of(write=(MANAGER,))]

    @extend_schema(
        summary="Where leads would go under the rules (as saved, or as edited); changes nothing",
        request=DryRunInputSerializer,
        responses={200: DryRunResultSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        values = _valid(DryRunInputSerializer(data=request.data))
        if "leads" in values:
            by_id = Lead.objects.select_related("campaign").in_bulk(values["leads"])
            missing = [pk for pk in values["leads"] if pk not in by_id]
            if missing:
                raise serializers.ValidationError({"leads": [f"No lead with id {missing[0]}."]})
            leads = [by_id[pk] for pk in dict.fromkeys(values["leads"])]
        else:
            leads = services.latest_mqls(values.get("sample", 50))
        rules = None
        if "rules" in values:
            rules = _drafts(values["rules"])
        return Response(dry_run_answer(services.dry_run(leads, rules=rules)))


def _drafts(rules: list[dict]) -> list:
    """The rules as edited, checked like saved ones, each numbered by its place in the list
    given (a switched-off rule keeps its number, as in the saved list)."""
    errors = {}
    drafts = []
    for number, rule in enumerate(rules, start=1):
        problems = services.rule_errors(
            name=rule["name"],
            conditions=rule.get("conditions", []),
            action=rule["action"],
            rep=rule.get("rep"),
            members=rule.get("members", []),
        )
        if problems:
            errors.update(
                {f"rules[{number - 1}].{name}": messages for name, messages in problems.items()}
            )
            continue
        if rule.get("active", True):
            draft = services.compile_draft(
                name=rule["name"],
                conditions=[dict(c) for c in rule.get("conditions", [])],
                action=rule["action"],
                rep=rule.get("rep"),
                members=rule.get("members", []),
                rule_id=rule.get("id", 0),
            )
            drafts.append(replace(draft, number=number))
    if errors:
        raise serializers.ValidationError(errors)
    return drafts


class CalendarSerializer(serializers.Serializer):
    time_zone = serializers.CharField(max_length=64, help_text="An IANA name: Europe/Berlin.")
    days = serializers.DictField(
        child=serializers.ListField(
            child=serializers.CharField(max_length=5), max_length=2, allow_null=True
        ),
        help_text='Hours per weekday: {"mon": ["09:00", "17:00"], …}; a day left out (or '
        "null, or empty) is closed.",
    )
    holidays = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, default=list, max_length=1000
    )
    updated_at = serializers.DateTimeField(read_only=True)


class CalendarView(APIView):
    permission_classes = [MANAGERS_WRITE]

    @extend_schema(summary="The team's business hours", responses=CalendarSerializer)
    def get(self, request):
        return Response(CalendarSerializer(team_calendar_row()).data)

    @extend_schema(
        summary="Set the team's business hours (SLA minutes count only inside them)",
        request=CalendarSerializer,
        responses={200: CalendarSerializer, **error_responses(400, 403)},
    )
    def put(self, request):
        row = update_team_calendar(by=request.user, **_valid(CalendarSerializer(data=request.data)))
        return Response(CalendarSerializer(row).data)


class AvailabilitySerializer(serializers.Serializer):
    capacity = serializers.IntegerField(
        min_value=0,
        max_value=100_000,
        allow_null=True,
        required=False,
        help_text="Most leads in play (claimed SAL/SQL plus routed and waiting); null: no "
        "limit. Left out: unchanged (a rep sets their time away without it).",
    )
    away_from = DateTimeField(required=False, allow_null=True, default=None)
    away_until = DateTimeField(required=False, allow_null=True, default=None)


class AvailabilityAnswerSerializer(AvailabilitySerializer):
    user = serializers.IntegerField()
    away = serializers.BooleanField(help_text="Away right now.")
    load = serializers.IntegerField(help_text="Leads in play right now.")


class AvailabilityView(APIView):
    """Reads are open to every role; the service says who may change what."""

    permission_classes = [HasRole.of(write=(SALES, MANAGER))]

    def _answer(self, user) -> dict:
        row = services.availability_of(user)
        return {
            "user": user.pk,
            "capacity": row.capacity,
            "away_from": row.away_from,
            "away_until": row.away_until,
            "away": services.is_away(row, timezone.now()),
            "load": services.loads([user.pk])[user.pk],
        }

    @extend_schema(
        summary="A rep's capacity and time away",
        responses={200: AvailabilityAnswerSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        user = get_object_or_404(_sales_reps(), pk=pk)
        return Response(AvailabilityAnswerSerializer(self._answer(user)).data)

    @extend_schema(
        summary="Set a rep's capacity (managers) and time away (the rep or a manager)",
        request=AvailabilitySerializer,
        responses={
            200: AvailabilityAnswerSerializer,
            **error_responses(400, 403, 404),
        },
    )
    def put(self, request, pk: int):
        user = get_object_or_404(_sales_reps(), pk=pk)
        values = _valid(AvailabilitySerializer(data=request.data))
        services.set_availability(
            user,
            by=request.user,
            capacity=values.pop("capacity", services.UNCHANGED),
            **values,
        )
        return Response(AvailabilityAnswerSerializer(self._answer(user)).data)
