"""The theme bank of the sample data: what customers say, and how Lumora's people talk about it.

Each theme has several kinds of templates; ``{slot}`` placeholders are filled by ``_world.fill``:

* ``subjects``: ticket subject lines;
* ``customer``: the customer describing it, first person (tickets, chats, calls, surveys);
* ``detail``: extra specifics in the customer's voice, used to lengthen a message;
* ``internal``: an employee relaying it to colleagues (Slack, CRM notes, call notes);
* ``reply``: an employee answering the customer;
* ``short``: a terse survey or review answer;
* ``prompt``: what an employee asks in a call or interview to get the customer talking.

Vocabulary is kept apart on purpose for the blind-spot themes: "SSO/SAML", "Datawise" with its
40% discount, "onboarding/training" and "pricing page" appear only in their own theme's templates.
"""

# ruff: noqa: E501 (natural-language templates read better unwrapped)

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """One planted theme and its phrasings."""

    id: str
    name: str
    description: str
    subjects: tuple[str, ...]
    customer: tuple[str, ...]
    detail: tuple[str, ...]
    internal: tuple[str, ...]
    reply: tuple[str, ...]
    short: tuple[str, ...]
    prompt: tuple[str, ...]
    tags: tuple[str, ...] = ()


THEMES: tuple[Theme, ...] = (
    Theme(
        id="sso_saml_login_failures",
        name="SSO/SAML login failures",
        description="Users cannot sign in through SAML single sign-on: invalid assertions, "
        "redirect loops, certificate rotation, users not provisioned.",
        subjects=(
            "SSO login broken for our whole team",
            "SAML error: Invalid SAML response",
            "Can't log in via {idp}",
            "Redirect loop after SSO sign-in",
            "URGENT - nobody can log in (SAML)",
            "SSO stopped working after cert rotation",
        ),
        customer=(
            "Since {when} none of our users can log in through {idp}, they get 'Invalid SAML response' and land back on the login page.",
            "Our SAML single sign-on is failing for about {n} people on the {team}.",
            "After we rotated the {cert} in {idp}, SSO into Lumora stopped working completely.",
            "When I click the Lumora tile in {idp} I end up in a redirect loop between your login page and our IdP.",
            "New hires who were added to the Lumora group in {idp} get 'user not provisioned' when they try SSO.",
            "SSO works in {browser} but in {browser} it just spins and then shows error {error}.",
            "We enforced SAML login last week and now half of the {team} is locked out.",
            "The SAML assertion seems to be rejected because of a clock skew error, at least that's what the message says.",
            "Every morning our users are forced to re-authenticate through SSO and it fails the first two times.",
            "IdP-initiated SSO from {idp} returns a blank page, SP-initiated works sometimes.",
        ),
        detail=(
            "I attached the SAML trace from the browser, the NameID looks right to me.",
            "We double checked the ACS URL and the entity ID against your SSO setup guide.",
            "Password login is disabled for our workspace so people really can't get in at all.",
            "It affects users on the {role} role, admins can still get in somehow.",
            "Our IT admin says nothing changed on the {idp} side besides the new certificate.",
            "The error page shows request id {ticket}, in case that helps your engineers.",
        ),
        internal=(
            "{account} is locked out again, SAML assertions rejected after they rotated their {cert}.",
            "Third SSO ticket today, {account} on {idp} hitting the redirect loop.",
            "Looks like SAML JIT provisioning is broken for {account}: new users get 'user not provisioned'.",
            "Escalating the SSO issue for {account} to engineering, the assertion signature check fails on our side.",
            "{account} reports SAML login failures for ~{num} users, enterprise plan, P1 per their contract.",
            "The clock-skew tolerance on SAML is too strict, {account} is off by 90 seconds and gets rejected.",
        ),
        reply=(
            "Thanks for the SAML trace, our engineers can see the assertion is signed with the old certificate, could you upload the new one under Settings > Security > SSO?",
            "I've reproduced the SSO redirect loop with {idp} and escalated it to our identity team as {ticket}.",
            "As a workaround an admin can temporarily re-enable password login for your workspace while we fix SSO.",
            "We pushed a fix for the SAML clock-skew check this morning, could you ask your users to try signing in again?",
            "Could you confirm the NameID format in {idp} is set to email address? That is the most common cause of this SSO error.",
        ),
        short=(
            "SSO keeps breaking.",
            "SAML login fails every few weeks.",
            "Single sign-on is unreliable with {idp}.",
            "Fix SSO please, our users get locked out.",
        ),
        prompt=(
            "How is single sign-on working for your team these days?",
            "Are your users still having trouble logging in through {idp}?",
        ),
        tags=("sso", "saml", "login"),
    ),
    Theme(
        id="competitor_discount",
        name="Competitor Datawise offering 40% discounts",
        description="Prospects and customers say competitor Datawise is undercutting Lumora with "
        "40% discounts, often tied to multi-year commitments.",
        subjects=("Datawise quote", "Pricing vs Datawise"),
        customer=(
            "Honestly, Datawise came back with a quote that's 40% below yours for the same number of seats.",
            "Datawise offered us 40% off list if we sign a two-year deal before {deadline}.",
            "Their rep at Datawise said they'd give us forty percent off the first year and free migration.",
            "We have a Datawise proposal on the table at 40 percent less than what you quoted, so I need to understand the difference.",
            "Datawise is being very aggressive, 40% discount and they'll match any feature we ask for.",
            "Procurement is pointing at the Datawise offer, it's about 40% cheaper, and asking why we'd pay more for Lumora.",
            "I'll be transparent, Datawise dropped their price by 40% when they heard we were talking to you.",
            "The Datawise deal is 40% off plus three months free, and my CFO has seen it.",
        ),
        detail=(
            "Their discount is only valid until {deadline}, so we need to decide quickly.",
            "The Datawise quote came in at roughly {price} for {seats} seats.",
            "To be fair their dashboards are not as good, but the 40% gap is hard to argue with.",
            "They also threw in a dedicated support engineer at that 40% discount.",
        ),
        internal=(
            "Datawise is offering {account} 40% off list, deal is at risk unless we move on price.",
            "Another one: {account} got a Datawise quote at 40% below ours with a two-year commit.",
            "Heads up, Datawise is discounting 40% in every deal I'm in this month, {account} included.",
            "{account} forwarded the Datawise proposal, 40 percent off and free migration, need a counter by {deadline}.",
            "Lost {account} to Datawise, they took the 40% discount, we couldn't get approval to match.",
            "Datawise's 40% discount came up again on the {account} call, procurement is using it as leverage.",
        ),
        reply=(
            "Understood, let me take the Datawise number to our deal desk and see what flexibility we have.",
            "I appreciate you sharing the Datawise offer, a 40% discount usually comes with a long lock-in, so let's compare total cost over three years.",
            "Let me put together a side-by-side against the Datawise proposal before {deadline}.",
        ),
        short=("Datawise offered us 40% off.", "Datawise is 40% cheaper."),
        prompt=(
            "Are you evaluating anyone else at the moment?",
            "Where do we stand against the other offers you've received?",
            "What would it take to get this over the line before {deadline}?",
        ),
        tags=("competitor", "pricing"),
    ),
    Theme(
        id="onboarding_training_gaps",
        name="Onboarding and training gaps",
        description="New customers and new users struggle to get started: not enough training, "
        "stalled onboarding, missing enablement after an admin leaves.",
        subjects=("Need more training sessions", "Onboarding stalled"),
        customer=(
            "Our new analysts don't know where to start, we really need another training session.",
            "The onboarding checklist stopped making sense after step three and nobody on our side finished it.",
            "Our admin who did the onboarding left the company and now nobody knows how the workspace was set up.",
            "We only had one onboarding call and it wasn't enough for a team of {seats} people.",
            "Is there any training material for people who are new to product analytics? The {team} is lost.",
            "We're {num} weeks in and still haven't finished onboarding, mostly because we don't know what good looks like.",
            "The training videos are helpful but they are out of date with the current UI.",
            "I'd love a proper onboarding plan for the {team}, right now everyone learns by trial and error.",
        ),
        detail=(
            "A live training for the {team} would make a huge difference.",
            "Maybe a second onboarding session focused on building the first dashboard?",
            "We expected more hands-on guidance during onboarding given the plan we're on.",
            "Half the team skipped the kickoff training, so we're effectively starting over.",
        ),
        internal=(
            "{account} onboarding is stalled at week {num}, their champion left and nobody owns it.",
            "{account} asked for a second training session, the {team} never got enabled.",
            "Onboarding gap at {account}: they bought {seats} seats but only a handful of people completed training.",
            "We need a better onboarding path for non-technical users, {account} is the third account this month asking for training.",
            "{account} says the training videos don't match the new UI, we should refresh the onboarding content.",
            "Time-to-value for {account} is slipping because onboarding never got past the setup call.",
        ),
        reply=(
            "Happy to set up another training session for the {team}, does {weekday} work?",
            "I'll send over our onboarding plan template and we can walk through it together.",
            "Let's restart onboarding with a short kickoff for the new admin, I'll bring the setup notes from last time.",
        ),
        short=(
            "More training please.",
            "Onboarding felt rushed.",
            "The onboarding was too short for our team.",
            "Need better training for new users.",
        ),
        prompt=(
            "How did the first few weeks of onboarding go for your team?",
            "Does everyone who needs it feel trained on the platform?",
        ),
        tags=("onboarding", "training"),
    ),
    Theme(
        id="confusing_pricing_page",
        name="Confusing pricing page",
        description="Prospects and customers cannot work out plans and prices from the public "
        "pricing page: unclear tiers, per-seat vs per-event, hidden add-ons.",
        subjects=("Pricing page question",),
        customer=(
            "I spent twenty minutes on your pricing page and still couldn't tell which plan we need.",
            "The pricing page says per seat but the calculator talks about tracked events, which is it?",
            "Your pricing page doesn't say what's included in Growth versus Enterprise, I had to ask around.",
            "The pricing page is confusing, the add-ons are hidden behind a tooltip.",
            "Comparing plans on the pricing page was harder than comparing you with other vendors.",
            "The annual vs monthly toggle on the pricing page changes numbers I didn't expect to change.",
            "I couldn't find the price of the {feature} add-on anywhere on the pricing page.",
        ),
        detail=(
            "A simple table of what each plan includes would help a lot.",
            "I ended up taking screenshots of the pricing page to explain it to my manager.",
            "The footnotes on the pricing page contradict the plan cards.",
        ),
        internal=(
            "Lots of NPS comments this week about the pricing page being confusing, {account} among them.",
            "Pricing page feedback again: visitors can't tell per-seat from per-event pricing.",
            "Heatmaps show people bouncing between the plan cards and the FAQ on the pricing page.",
            "{account}'s reviewer called our pricing page 'a puzzle', we should simplify the tiers.",
            "The pricing page test variant with the comparison table cut confused demo requests by {pct}.",
        ),
        reply=("Thanks, we're reworking the pricing page this quarter and this helps.",),
        short=(
            "Pricing page is confusing.",
            "Couldn't understand the pricing page.",
            "Make the pricing page clearer.",
            "The plans on the pricing page are hard to compare.",
        ),
        prompt=("How did you find our pricing information?",),
        tags=("pricing_page", "website"),
    ),
    Theme(
        id="csv_export_failures",
        name="CSV export failures",
        description="CSV exports time out, come back empty or corrupted; spiked after release 4.2.",
        subjects=(
            "CSV export not working",
            "Export to CSV times out",
            "Empty CSV file downloaded",
            "CSV export broken since update",
        ),
        customer=(
            "Exporting the {dashboard} dashboard to CSV times out after {secs}.",
            "The CSV export gives us an empty file with just the header row.",
            "Our scheduled CSV export to the {team} didn't arrive {when}.",
            "Any CSV export over {rows} rows fails with error {error}.",
            "The CSV we downloaded has the columns shifted, dates end up in the revenue column.",
            "CSV export of the {dashboard} report is stuck at 'preparing' forever.",
            "Special characters come out garbled in the CSV export, accents and emoji turn into question marks.",
        ),
        detail=(
            "We rely on that CSV for the {team}'s weekly numbers.",
            "Excel export still works, it's only CSV that fails.",
            "It's the same with and without filters on the dashboard.",
            "I tried in {browser} and {browser}, same result.",
        ),
        internal=(
            "{account} can't export CSVs, export job dies after {secs}.",
            "CSV export failing for {account}, empty files again.",
            "Seeing a lot of CSV export complaints, {account} is blocked on their {team} reporting.",
            "{account} says their scheduled CSV export stopped {when}.",
        ),
        reply=(
            "Thanks for the report, we've reproduced the CSV export failure and engineering is on it under {ticket}.",
            "As a workaround you can export to Excel or use the API's export endpoint while we fix the CSV export.",
            "We've just deployed a fix for the CSV export timeouts, could you try again?",
        ),
        short=(
            "CSV export keeps failing.",
            "Exports to CSV are unreliable.",
            "Fix the CSV export.",
        ),
        prompt=("Are exports working for you again?",),
        tags=("export", "csv"),
    ),
    Theme(
        id="dashboard_performance",
        name="Slow dashboards",
        description="Dashboards and charts load slowly or time out, especially with large date "
        "ranges or many widgets.",
        subjects=("Dashboards extremely slow", "Dashboard timeout", "Performance issues"),
        customer=(
            "The {dashboard} dashboard takes {secs} to load, it used to be instant.",
            "Dashboards with more than {num} widgets are painfully slow.",
            "Every time I change the date range to the last 90 days the charts time out.",
            "Performance has really degraded {when}, the {team} keeps complaining.",
            "Filtering a dashboard by {metric} freezes the tab in {browser}.",
            "Our exec dashboard shows spinners for ages before anything renders.",
        ),
        detail=(
            "We have about {rows} events a day, which doesn't seem like that much.",
            "It's worst on Monday mornings when everyone opens the weekly view.",
            "Cached dashboards are fine, anything that recomputes is slow.",
        ),
        internal=(
            "{account} complaining about dashboard load times, {dashboard} takes {secs}.",
            "Perf issue at {account}: their big dashboards time out on 90-day ranges.",
            "{account} says Lumora feels slow {when}, could be the query queue.",
            "Dashboard performance came up again with {account}, it's becoming a renewal topic.",
        ),
        reply=(
            "We found a slow query behind the {dashboard} dashboard and added an index, it should load much faster now.",
            "Could you share the dashboard link? I'd like our performance team to profile it.",
            "Splitting very large dashboards into tabs usually helps while we work on query speed.",
        ),
        short=(
            "Dashboards are slow.",
            "Speed up the dashboards.",
            "Performance with large date ranges is poor.",
            "Charts take too long to load.",
        ),
        prompt=("How has the speed of the dashboards been?",),
        tags=("performance", "dashboards"),
    ),
    Theme(
        id="alert_notification_issues",
        name="Alerts not firing or too noisy",
        description="Alerts fire late, not at all, or so often that people mute them.",
        subjects=("Alerts not firing", "Too many alert emails", "Alert delayed by hours"),
        customer=(
            "Our {metric} alert didn't fire even though the metric dropped by {pct}.",
            "We get so many alert emails that the {team} has started ignoring them.",
            "Alerts arrive hours late, by then we've already noticed the problem ourselves.",
            "The Slack alert for {dashboard} posts the same message {n} times.",
            "I set an alert threshold of {pct} and it triggers on every tiny fluctuation.",
            "Alerts stopped arriving {when}, nothing changed in our settings.",
        ),
        detail=(
            "We'd like to be able to snooze an alert for a day.",
            "Anomaly detection would be more useful than fixed thresholds.",
            "The alert email doesn't say which filter was applied.",
        ),
        internal=(
            "{account} missed a {metric} drop because the alert never fired.",
            "Alert fatigue at {account}, the {team} muted all Lumora alerts.",
            "{account} reports duplicate alert messages in Slack, {n} copies each.",
            "Alerts delayed by hours for {account}, probably the evaluation queue again.",
        ),
        reply=(
            "I checked the alert history and the evaluation was skipped because of a data delay, we've fixed that.",
            "You can raise the minimum change or add a cooldown to the alert to cut the noise.",
            "We found the cause of the duplicate Slack alerts and a fix ships this week.",
        ),
        short=(
            "Alerts are too noisy.",
            "Alerts sometimes don't fire.",
            "Better alerting please.",
        ),
        prompt=("Are the alerts useful to your team?",),
        tags=("alerts",),
    ),
    Theme(
        id="salesforce_integration_sync",
        name="Salesforce integration sync errors",
        description="The Salesforce integration fails to sync, duplicates records or misses fields.",
        subjects=(
            "Salesforce sync failing",
            "Salesforce integration error",
            "Missing Salesforce fields",
        ),
        customer=(
            "The Salesforce sync has been failing {when} with error {error}.",
            "Our {obj} records aren't coming through from Salesforce anymore.",
            "The Salesforce integration creates duplicate {obj} records every night.",
            "We added a custom field on {obj} in Salesforce and it never shows up in Lumora.",
            "The sync with Salesforce takes {secs} per batch and falls behind during the day.",
            "Salesforce says the Lumora integration user hit its API limit {when}.",
        ),
        detail=(
            "Our RevOps team needs the {obj} data to match for the forecast.",
            "We reconnected the Salesforce integration twice already.",
            "The sync log just says 'partial failure' with no details.",
        ),
        internal=(
            "Salesforce sync broken for {account}, {obj} records missing since {weekday}.",
            "{account} sees duplicate {obj} records from the Salesforce integration.",
            "{account} needs custom {obj} fields synced from Salesforce, blocker for their rollout.",
            "Salesforce integration keeps hitting API limits at {account}.",
        ),
        reply=(
            "The Salesforce sync failed because the integration user lost access to {obj}, could your admin restore the permission?",
            "We've cleaned up the duplicate {obj} records and patched the matching logic.",
            "Custom fields need to be added to the sync mapping under Integrations > Salesforce, I've sent you the steps.",
        ),
        short=(
            "Salesforce integration is flaky.",
            "Better Salesforce sync.",
            "Sync custom Salesforce fields.",
        ),
        prompt=("How important is the Salesforce connection for your team?",),
        tags=("integration", "salesforce"),
    ),
    Theme(
        id="api_rate_limits",
        name="API rate limits and API gaps",
        description="API users hit rate limits, miss endpoints or find the API docs lacking.",
        subjects=("API rate limit too low", "429 errors from API", "API docs question"),
        customer=(
            "We keep hitting 429 Too Many Requests on the events API during our nightly load.",
            "The API rate limit of {num} requests a minute is too low for our data team.",
            "There's no API endpoint to list dashboards, so we can't automate our reporting.",
            "The API docs for the export endpoint don't match what the API actually returns.",
            "Our integration broke because an API field was renamed without notice.",
            "Pagination in the API skips records when new data arrives during the sync.",
        ),
        detail=(
            "We'd happily pay for a higher rate limit.",
            "A bulk endpoint would cut our number of calls by {pct}.",
            "A changelog for API changes would help a lot.",
        ),
        internal=(
            "{account} hitting API rate limits every night, asking for a higher tier.",
            "{account} wants an API endpoint for dashboards and alerts.",
            "API docs mismatch reported by {account} on the export endpoint.",
            "{account}'s data team built a scraper because our API is missing endpoints.",
        ),
        reply=(
            "I've raised your workspace's API rate limit temporarily while we review your usage.",
            "The dashboards endpoint is on our API roadmap, I've added your use case to the request.",
            "Thanks for flagging the docs mismatch, we've corrected the API reference.",
        ),
        short=(
            "Higher API limits.",
            "More complete API.",
            "The API needs better docs.",
        ),
        prompt=("Are you using the API today, and for what?",),
        tags=("api",),
    ),
    Theme(
        id="permissions_roles_request",
        name="Granular permissions and roles",
        description="Requests for finer-grained roles, per-dashboard permissions and audit logs.",
        subjects=("Permissions question", "Need custom roles", "Viewer can edit dashboards?"),
        customer=(
            "We need a read-only role that can't see the {dashboard} dashboard.",
            "Right now anyone with the {role} role can delete shared dashboards, which is scary.",
            "Can we restrict a dashboard to one team? We have contractors in the workspace.",
            "Custom roles are a must for us, the built-in {role} role is too broad.",
            "We need an audit log of who changed permissions, our security review asks for it.",
            "Giving the {team} access means they also see revenue data they shouldn't.",
        ),
        detail=(
            "Folder-level permissions would solve most of this.",
            "Row-level access by region would be ideal.",
            "Our compliance team flagged this in the last audit.",
        ),
        internal=(
            "{account} wants custom roles, the {role} role is too broad for them.",
            "Permissions keep coming up: {account} needs per-dashboard access control.",
            "{account} asked for an audit log of permission changes for their security review.",
            "Granular roles would unblock the {account} expansion to the {team}.",
        ),
        reply=(
            "Per-dashboard permissions are available on Enterprise, I can show your admin how to set them.",
            "Custom roles are on our roadmap for Q1, I've linked your request.",
            "You can use groups to limit who sees the {dashboard} dashboard in the meantime.",
        ),
        short=(
            "More granular permissions.",
            "Custom roles.",
            "Better access control.",
        ),
        prompt=("How do you manage who can see what in Lumora?",),
        tags=("permissions", "roles"),
    ),
    Theme(
        id="mobile_app_requests",
        name="Mobile app issues and requests",
        description="The mobile app crashes, misses features or cannot show dashboards well.",
        subjects=("Mobile app crashes", "iOS app login issue", "Dashboards on mobile"),
        customer=(
            "The mobile app crashes on my {device} as soon as I open a dashboard.",
            "Charts on the mobile app are unreadable, the labels overlap.",
            "We'd love push notifications for alerts in the mobile app.",
            "The mobile app logs me out every day.",
            "The {team} mostly looks at numbers on their phones, but the mobile app only shows a few widgets.",
            "Offline mode in the mobile app would help for people travelling.",
        ),
        detail=(
            "It happens on the latest version from the app store.",
            "A simple mobile view of key metrics would be enough.",
            "Dark mode on mobile would be a nice bonus.",
        ),
        internal=(
            "{account} says the mobile app crashes on {device}.",
            "{account} execs want a better mobile app for their weekly review.",
            "Mobile push notifications for alerts requested by {account}.",
            "Mobile app keeps logging out users at {account}.",
        ),
        reply=(
            "Thanks, the crash on {device} is fixed in the next mobile release.",
            "Push notifications for alerts are coming to the mobile app this quarter.",
            "Could you send the app version and a screenshot? That helps our mobile team reproduce it.",
        ),
        short=(
            "Better mobile app.",
            "Mobile app crashes.",
            "Push notifications on mobile.",
        ),
        prompt=("Do people on your team use Lumora on their phones?",),
        tags=("mobile",),
    ),
    Theme(
        id="billing_invoice_issues",
        name="Billing and invoice problems",
        description="Wrong invoices, double charges, failed payments, VAT and PO questions.",
        subjects=(
            "Invoice question",
            "Charged twice",
            "Wrong amount on invoice",
            "Need VAT number on invoice",
        ),
        customer=(
            "We were charged twice this month, could you refund the duplicate payment?",
            "Our invoice shows {seats} seats but we only have {num} active users.",
            "The invoice is missing our VAT number and our finance team can't process it.",
            "Our card payment failed and now the workspace shows a billing warning.",
            "We need the invoice to reference our PO number, otherwise it won't get paid.",
            "The invoice amount of {price} doesn't match the quote we signed.",
        ),
        detail=(
            "Please send the corrected invoice to our accounts payable address.",
            "Our finance team closes the books at month end.",
            "Can we switch from card to bank transfer?",
        ),
        internal=(
            "{account} double-charged this month, refund needed.",
            "{account}'s invoice is missing their VAT number, finance is on it.",
            "Billing mismatch at {account}: invoiced for {seats} seats.",
            "{account} wants to move from card to invoicing with a PO.",
        ),
        reply=(
            "I've refunded the duplicate charge, it should show on your statement in 5-7 business days.",
            "I've reissued the invoice with your VAT number and PO reference.",
            "Our billing team corrected the seat count, the credit will apply to your next invoice.",
        ),
        short=("Billing is confusing.", "Invoices often have errors."),
        prompt=("Any issues with invoicing on your side?",),
        tags=("billing", "invoice"),
    ),
    Theme(
        id="pricing_too_expensive",
        name="Price too high at renewal",
        description="Customers find Lumora expensive, push back on renewal increases or seat costs.",
        subjects=("Renewal price increase", "Seat costs"),
        customer=(
            "The renewal quote is {pct} higher than last year and we can't justify that internally.",
            "Paying per seat gets expensive fast when the whole {team} needs access.",
            "Lumora is one of our most expensive tools and the budget is under review.",
            "We like the product but the price is hard to defend with our CFO.",
            "Viewer seats shouldn't cost the same as editor seats.",
        ),
        detail=(
            "Our budget for next year is flat.",
            "If we can't bring the cost down we'll have to cut seats.",
            "A cheaper tier for occasional users would help.",
        ),
        internal=(
            "{account} pushing back on the {pct} renewal uplift.",
            "{account} says Lumora is too expensive for the value their {team} gets.",
            "Budget cuts at {account}, they want to drop to {seats} seats.",
            "Price sensitivity at {account}, they asked about cheaper viewer seats.",
        ),
        reply=(
            "Let me see whether we can offer viewer-only seats at a lower price for your renewal.",
            "I understand, let's look at which seats are actually active before the renewal.",
        ),
        short=("Too expensive.", "Price is high for what we use.", "Seats are expensive."),
        prompt=("How does the cost compare with the value you're getting?",),
        tags=("pricing", "renewal"),
    ),
    Theme(
        id="churn_risk",
        name="Churn risk",
        description="Customers signal they may cancel or not renew: low usage, lost champion, "
        "budget cuts, moving to another tool.",
        subjects=("Cancellation request", "Not renewing"),
        customer=(
            "We're seriously considering not renewing when our contract ends.",
            "Usage has dropped a lot on our side and leadership is asking if we still need Lumora.",
            "If these issues aren't fixed by {deadline} we'll have to look at alternatives.",
            "We've been asked to consolidate tools and Lumora is on the list to cut.",
            "Please let me know how to cancel at the end of the term.",
        ),
        detail=(
            "Our champion who bought Lumora left last month.",
            "Only {num} people logged in last month.",
            "We're evaluating {competitor} as a replacement.",
        ),
        internal=(
            "Churn risk: {account} usage down {pct} and the champion left.",
            "{account} mentioned not renewing, renewal is in {num} weeks.",
            "Red flag at {account}, they're consolidating tools and we're on the chopping block.",
            "{account} asked how to cancel, need an exec sponsor call ASAP.",
            "{account} is trialling {competitor}, renewal at risk.",
        ),
        reply=(
            "I'm sorry to hear that, could we set up a call with your team before the renewal to see what would change your mind?",
            "Let's review your usage together and make sure you're getting value before you decide.",
        ),
        short=("Thinking of cancelling.", "Not sure we'll renew.", "We might switch tools."),
        prompt=("How is Lumora perceived by leadership at the moment?",),
        tags=("churn", "renewal"),
    ),
    Theme(
        id="praise_positive",
        name="Praise",
        description="Customers say what they love: dashboards, support, speed of answers.",
        subjects=("Thank you!", "Great experience"),
        customer=(
            "Just wanted to say the new {feature} is fantastic, the {team} loves it.",
            "Lumora has become the first thing we open every morning.",
            "Your support team is amazing, {agent} fixed our issue in minutes.",
            "The {dashboard} dashboard saved us hours of work every week.",
            "Honestly the best analytics tool we've used, it's easy and fast.",
            "We replaced {tool} with Lumora and never looked back.",
        ),
        detail=(
            "Keep up the great work!",
            "The {team} is finally looking at the same numbers.",
            "We've recommended you to a couple of friends at other companies.",
        ),
        internal=(
            "Nice shout-out from {account}, they love the new {feature}.",
            "{account} says Lumora is their daily go-to, possible case study.",
            "Happy customer alert: {account} replaced {tool} with us and saved hours a week.",
            "{account} praised the support team, great quote for marketing.",
        ),
        reply=(
            "Thank you so much, I'll pass this on to the team!",
            "That's great to hear, would you be open to sharing this in a short case study?",
        ),
        short=(
            "Great product!",
            "Love the dashboards.",
            "Easy to use and fast.",
            "Support is excellent.",
            "Best analytics tool we've used.",
        ),
        prompt=("What do you like most about Lumora so far?",),
        tags=("praise",),
    ),
    Theme(
        id="data_residency_gdpr",
        name="Data residency and GDPR questions",
        description="Questions about where data is stored, EU hosting, GDPR, DPAs and deletion.",
        subjects=("GDPR / DPA request", "Data residency question"),
        customer=(
            "Our legal team needs to know whether our data can be hosted in the {region}.",
            "Can you send us your DPA and the list of sub-processors?",
            "Under GDPR we need to be able to delete a user's events on request, how does that work in Lumora?",
            "We can't go ahead unless customer data stays in an EU region.",
            "Where exactly is our data stored, and do you have SOC 2?",
        ),
        detail=(
            "Our DPO will want to review the sub-processor list.",
            "Data residency is a hard requirement for our {region} entities.",
            "We also need a retention setting for raw events.",
        ),
        internal=(
            "{account} legal asking for EU data residency, hard requirement.",
            "{account} needs our DPA and sub-processor list before signing.",
            "GDPR deletion question from {account}, they want per-user event deletion.",
            "{account} wants data hosted in the {region}, do we have a date for the EU region?",
        ),
        reply=(
            "I've attached our DPA and current sub-processor list, and our EU region is available on Enterprise.",
            "You can delete a user's data from Settings > Privacy, or through the GDPR deletion API.",
        ),
        short=("Need EU hosting.", "GDPR compliance matters to us."),
        prompt=("Are there any security or compliance requirements we should know about?",),
        tags=("gdpr", "compliance"),
    ),
    Theme(
        id="dashboard_customization_request",
        name="Dashboard customisation requests",
        description="Requests for more chart types, custom formulas, filters and layout control.",
        subjects=("Feature request: custom charts", "Dashboard filters"),
        customer=(
            "We'd love a way to add custom formulas to dashboard charts, like {metric} per seat.",
            "Can we get more chart types? A funnel and a heatmap would cover most of our needs.",
            "Global filters that apply to every widget on a dashboard would save so much time.",
            "It would be great to resize and rearrange widgets freely instead of the fixed grid.",
            "We need to annotate charts with release dates so the {team} can see what changed.",
            "Please let us compare two date ranges side by side on the same chart.",
        ),
        detail=(
            "Right now we export to {tool} just to build that one chart.",
            "Even a simple text widget would help explain the numbers.",
            "Dashboard templates for common use cases would also be nice.",
        ),
        internal=(
            "{account} asking for custom formulas on charts, they export to {tool} today.",
            "Feature request from {account}: global dashboard filters.",
            "{account} wants chart annotations for releases, +1 to the existing request.",
            "{account} asked for period-over-period comparison on charts.",
        ),
        reply=(
            "Thanks for the suggestion, I've added your vote to the custom formulas request.",
            "Global filters are in beta, want me to enable them for your workspace?",
        ),
        short=(
            "More chart types.",
            "Custom formulas.",
            "Better dashboard filters.",
            "Flexible dashboard layouts.",
        ),
        prompt=("If you could change one thing about dashboards, what would it be?",),
        tags=("feature_request", "dashboards"),
    ),
    Theme(
        id="competitor_comparison",
        name="Competitor comparisons",
        description="Customers compare Lumora with Metricly, Chartbeam or Trendspire on features.",
        subjects=("Comparison question",),
        customer=(
            "{rival} has a funnel builder that's easier to use than yours.",
            "We're also looking at {rival} because of their warehouse connector.",
            "Our previous tool, {rival}, let us schedule reports to Slack, can Lumora do that?",
            "{rival}'s mobile experience is ahead of yours, to be honest.",
            "Some of the team prefer {rival}'s charts, but Lumora's data model is better.",
        ),
        detail=(
            "We'd rather stay with you if the gap closes.",
            "Feature parity with {rival} on reporting is what matters most to us.",
        ),
        internal=(
            "{account} compared us to {rival} on funnels, we lost that point.",
            "{rival} came up at {account}, they like its scheduled reports.",
            "{account} migrated from {rival}, asking for the same report scheduling.",
            "Competitive note: {rival} demoed a warehouse connector to {account}.",
        ),
        reply=(
            "Happy to walk you through how our funnels compare with {rival}'s.",
            "Scheduled reports to Slack are possible, I'll send you the setup guide.",
        ),
        short=("{rival} is easier to use.", "Catch up with {rival} on reporting."),
        prompt=("Which other tools have you used for this before?",),
        tags=("competitor",),
    ),
)

THEME_BY_ID = {t.id: t for t in THEMES}
