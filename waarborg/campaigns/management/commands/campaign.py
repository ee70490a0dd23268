from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import CommandError

from waarborg.campaigns.models import Campaign
from waarborg.campaigns.selectors import campaign_progress
from waarborg.campaigns.sending import BATCH, Progress, campaign_send
from waarborg.core.commands import SubcommandCommand, Subcommands


class Command(SubcommandCommand):
    help = (
        "Campaigns. 'send [ID]' sends what is pending of campaign ID (or of every campaign being "
        "sent) in batches, with a counter on stderr; each person gets at most one copy, also "
        "after a crash and a restart. '--loop' keeps polling for campaigns to send."
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        send = sub.add_parser("send", help="send pending campaign mail")
        send.add_argument("campaign", nargs="?", type=int, help="a campaign id; all if left out")
        send.add_argument("--batch", type=int, default=BATCH, help="deliveries per batch")
        send.add_argument("--loop", action="store_true", help="keep polling (a worker)")
        send.add_argument("--every", type=float, default=5.0, help="seconds between polls")

    def handle_send(self, options: dict[str, Any]) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        while True:
            sent = self._send_round(options)
            if not options["loop"]:
                break
            if not sent:
                time.sleep(options["every"])

    def _send_round(self, options: dict[str, Any]) -> int:
        wanted = options["campaign"]
        found = Campaign.objects.filter(state=Campaign.State.SENDING)
        if wanted is not None:
            if not Campaign.objects.filter(id=wanted).exists():
                raise CommandError(f"There is no campaign {wanted}.")
            found = found.filter(id=wanted)
        sent = 0
        for campaign_id in found.order_by("id").values_list("id", flat=True):
            total = campaign_progress(campaign_id=campaign_id)
            size = sum(total.values())

            def show(p: Progress, campaign_id: int = campaign_id, size: int = size) -> None:
                done = p.sent + p.skipped + p.failed
                sys.stderr.write(
                    f"\rcampaign {campaign_id}: {done}/{size} "
                    f"(sent {p.sent}, skipped {p.skipped}, failed {p.failed})"
                )
                sys.stderr.flush()

            result = campaign_send(campaign_id=campaign_id, size=options["batch"], on_batch=show)
            sys.stderr.write("\n")
            self.stdout.write(
                f"campaign {campaign_id}: sent {result.sent}, skipped {result.skipped}, "
                f"failed {result.failed}"
            )
            sent += result.sent
        return sent
