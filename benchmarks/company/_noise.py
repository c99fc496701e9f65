"""Noise that real exports carry around customer texts: every text here is invented, and varied.

Templates are composed from several slots (openers, bodies, closers), so one kind of noise reads
many ways. ``{...}`` slots are filled by :func:`fill`. Nothing here is a customer text: customer
texts come only from the labelled data sets (``_texts.py``).
"""

from __future__ import annotations

import random

# --- ways staff relay a customer in Slack (``{text}`` is the customer's words) -------------------
RELAY_FRAMES = (
    "> {text}\n{after}",
    "{before}\n> {text}",
    'a customer told me: "{text}"',
    "FYI from {account}: {text}",
    'fyi, {account} said this on a call today: "{text}"',
    "Heard from {contact} at {account}: {text}",
    'Relaying from {contact} ({email}): "{text}"',
    "Customer feedback via the in-app widget :point_down:\n>>> {text}",
    "New forum post worth a look:\n> {text}\n(posted by {contact})",
    '{account} again :sweat_smile: quote from their admin: "{text}"',
    "Passing this along from my QBR with {account}:\n• {text}\n{after}",
    "From today's onboarding session with {account}: {text}",
    "Got this by email from {contact} <{email}>:\n> {text}",
    "Not sure where this belongs, but {account} wrote: {text}",
    'Quoting a customer verbatim (they asked us to share it with the team): "{text}"',
    'can someone look at this? {contact} from {account} says "{text}"',
    "Escalating on behalf of {account} ({phone}): {text}",
    "Another one for the pile :eyes: {text} — {account}",
)
RELAY_BEFORE = (
    "From a customer call this morning:", "Feedback that came in overnight:",
    "One of our accounts just sent this:", "Sharing a customer quote:",
    "Saw this in the support queue, flagging for visibility:", "Heads up, from {account}:",
    "Customer said the following during the demo:", "Interesting one from {account}:",
)  # fmt: skip
RELAY_AFTER = (
    "Thoughts?", "Anyone seen this before?", "Logging it in the tracker.", "cc @here",
    "Third time this month I hear this.", "Not urgent, just sharing.", "^ from {account}",
    "I told them we'd get back to them by Friday.", ":thinking_face:", "Tagging product.",
)  # fmt: skip
THREAD_REPLIES = (
    "Thanks, logged it as {ticket}.", ":eyes: will take a look",
    "+1, heard the same from {account2}",
    "On it.", "Can you add it to the feedback board?", "Thanks for flagging!",
    "Is this the same account as last week?", "I'll raise it at the product sync.",
    "Danke, schaue ich mir an.", "ok noted :thumbsup:",
)  # fmt: skip
ATTACHMENT_SOURCES = ("Feedback widget", "Community forum", "App Store review", "NPS comment",
                      "G2 review", "Contact form")  # fmt: skip

# --- internal office chatter in general channels ----------------------------------------------
CHATTER_OPENERS = ("", "", "Hey all, ", "Hi everyone! ", "Reminder: ", "Quick one: ", "PSA: ",
                   "Friendly reminder that ", "Heads up: ", "Morning! ")  # fmt: skip
CHATTER_BODIES = (
    "lunch today is {food} in the kitchen", "payroll runs on {day} this month because of the "
    "bank holiday", "the offsite in {city} is confirmed for {date}, please book your travel",
    "the coffee machine on the 3rd floor is broken again", "who took my {thing} from the fridge",
    "happy birthday {colleague}! cake at 3pm", "the wifi password changed, check the wiki",
    "parking will be closed on {day} for resurfacing", "please submit your expenses by {day}",
    "fire drill at 11am {day}", "we're ordering {food}, anyone in?",
    "the all-hands moved to {day} at 4pm", "welcome {colleague} who joins the {team} team today",
    "open enrollment for benefits closes {day}", "does anyone have a spare HDMI adapter",
    "the cleaners come early on {day}, clear your desks", "board games night {day}, bring snacks",
    "IT will patch laptops tonight, leave them on", "the {city} office is closed {day}",
    "new hoodies arrived, grab one at reception", "quiz results are in, team {team} wins",
    "book your holiday requests for December before {day}",
    "the gym discount code is in the benefits portal",
)  # fmt: skip
CHATTER_CLOSERS = ("", "", " :tada:", " :pizza:", " thanks!", " 🙏", " :coffee:", " cheers",
                   " :wave:", " (sorry for the noise)")  # fmt: skip
FOREIGN_CHATTER = (
    "Mittagessen heute um 12:30, wer kommt mit?", "Bonjour à tous, la réunion est décalée à 15h.",
    "¿Alguien sabe dónde está el cargador del portátil?", "Buon compleanno {colleague}! 🎂",
    "Vergesst nicht, eure Reisekosten bis {day} einzureichen.",
    "Petit rappel : le bureau ferme plus tôt vendredi.", "Hoje tem bolo na cozinha, aproveitem!",
    "Het kantoor in Amsterdam is morgen dicht.", "Qui a vu mon casque ? Il était sur mon bureau.",
)  # fmt: skip
STAFF_CHATTER = (
    "standup moved to {time} today", "who can cover the queue on {day}?",
    "PR #{num} needs a second review", "I'm out {day}, {colleague} covers for me",
    "retro notes are in the doc, please add yours", "can we push the sync to {time}?",
    "pipeline review at {time}, bring your forecast", "the QBR deck template is updated",
    "quota numbers for Q{q} are in the dashboard", "sprint planning starts in 10 min",
    "reminder to update your opportunities before the forecast call",
    "new macro for refund requests is live", "on-call handover: nothing open, quiet night",
    "anyone have the link to the pricing calculator?", "roadmap review moved to {day}",
    "I'll be late, train delays", "shadowing {colleague} on calls this week",
)  # fmt: skip
BOT_MESSAGES = (
    "Deploy finished: api v{ver} to production ({num} commits)",
    "Reminder: submit your timesheet for this week.", "Jira: PROJ-{num} moved to Done",
    "PagerDuty: incident #{num} resolved after {mins} minutes",
    "Daily standup in 15 minutes. Join: https://meet.example.com/{code}",
    "Build #{num} failed on main", "Weekly pipeline summary: {num} open opportunities",
    "Your Zendesk SLA report is ready.", "Calendar: Sprint review starts at {time}",
    "Polly: How was your week? Reply 1-5", "New ticket assigned to @{handle}: #{num}",
)  # fmt: skip

# --- support tickets and chats ---------------------------------------------------------------
GREETINGS = ("Hi,", "Hello,", "Hi team,", "Hello support,", "Dear {company} team,", "Hey there,",
             "Good morning,", "Hi all,", "Hallo zusammen,", "Bonjour,", "Hola,", "Hi {agent},",
             "To whom it may concern,", "Morning folks,")  # fmt: skip
SIGNOFFS = ("Thanks,", "Best,", "Cheers,", "Regards,", "Kind regards,", "Thank you,",
            "Best regards,", "Many thanks,", "Mit freundlichen Grüßen,", "Cordialement,",
            "Saludos,", "Thx,", "Sent from my iPhone")  # fmt: skip
SUBJECTS = ("Question", "Help needed", "Feedback", "Issue", "Re: your message", "Quick question",
            "Urgent", "Follow-up", "Request", "{company} feedback", "Problem with the app",
            "Fwd: feedback", "Support request", "(no subject)", "Hello")  # fmt: skip
AGENT_OPENERS = ("Hi {name},", "Hello {name},", "Hi {name}!", "Hey {name},", "Hi there,",
                 "Hello,")  # fmt: skip
AGENT_BODIES = (
    "Thanks for reaching out! I've passed this to the right team and will update you here.",
    "Thank you for the details. Could you send us a screenshot and the time it happened?",
    "Sorry for the trouble. I've logged this with our engineers as {ticket}.",
    "Thanks for the feedback, I've shared it with our product team.",
    "I understand how frustrating this is. Let me check and come back to you today.",
    "Great question. You can find the steps in our help center; let me know if that helps.",
    "Thanks for your patience while we look into this.",
    "I've escalated this internally and will keep you posted.",
)  # fmt: skip
AGENT_SIGNOFFS = ("Best,\n{agent}\n{company} Support", "Cheers,\n{agent}", "Kind regards,\n{agent}",
                  "{agent} | {company} Customer Care", "Thanks,\n{agent}")  # fmt: skip
INTERNAL_NOTES = (
    "Checked the logs, nothing obvious. Asking tier 2.", "Customer is on the enterprise plan, "
    "prioritise.", "Duplicate of {ticket}, merging.", "Called the customer, no answer.",
    "Waiting on engineering for {ticket}.", "VIP account, keep the AM in the loop.",
)  # fmt: skip
AUTO_REPLIES = (
    "Thank you for your email. I am out of the office until {date} with limited access to email.",
    "Automatic reply: I'm on leave and will respond when I'm back on {date}.",
    "This is an automated response. Your message has been received and will be read on {date}.",
    "Abwesenheitsnotiz: Ich bin bis {date} nicht im Büro.",
    "Réponse automatique : je suis absent jusqu'au {date}.",
)  # fmt: skip
FILLERS = ("ok thanks!", "Thanks, that worked!", "Great, thank you.", "Perfect, thanks a lot!",
           "ok will try", "Got it, thanks.", "thx", "Cool, appreciate it 🙏", "Any update on this?",
           "Bumping this.", "Danke!", "Merci beaucoup !", "👍")  # fmt: skip
CHAT_OPENERS = ("hey there 👋", "hi!", "Hello?", "hi, anyone there?", "Good afternoon",
                "hey quick question", "Hallo", "hello :)")  # fmt: skip
CHAT_BOTS = (
    "Thanks for reaching out 👋 The team typically replies in under 2 hours.",
    "Hi there! A teammate will be with you shortly.",
    "Got it! We've passed your message to the team.",
    "While you wait, our Help Center might have the answer: https://help.example.com",
    "Can I get your email in case we lose touch?",
)  # fmt: skip

# --- call small talk and logistics -----------------------------------------------------------
SMALL_TALK = (
    "Hi {name}, can you hear me okay?", "Yeah, I can hear you fine.", "Sorry, you were on mute.",
    "How's the weather over in {city}?", "Raining again here, typical.", "How was your weekend?",
    "Good, thanks, we went hiking.", "Let me just share my screen, one second.",
    "Can you see my screen now?", "Yes, that's coming through.", "Give me a second, my "
    "camera is acting up.", "Are we waiting for anyone else?", "I think {name2} is joining late.",
    "Busy week, end of quarter as usual.", "Did you have a good holiday?", "Sorry I'm a couple "
    "of minutes late, back to back today.", "No worries at all.", "Oh nice, is that your dog?",
    "¿Me escuchas bien? Sorry, wrong language.", "Can everyone hear me?",
)  # fmt: skip
AGENDA = (
    "So the plan for today: a quick recap, then your questions, then next steps.",
    "I've blocked thirty minutes, does that still work for you?",
    "Let's start with where you are today and what you want to get out of this call.",
    "I'll keep this short, I know you have a hard stop.",
)  # fmt: skip
PITCH = (
    "That's really helpful context, thank you.", "Got it. We have a few customers with the "
    "same setup.", "Let me note that down for the product team.", "Makes sense. Our enterprise "
    "plan covers most of that.", "Okay, I'll check with our engineers and come back to you.",
    "Interesting, how often does that happen?", "Right, and who else on your team feels that?",
)  # fmt: skip
LOGISTICS = (
    "Does Thursday at two work for a follow-up?", "I'll send the calendar invite to {email}.",
    "Let me loop in my colleague {name2} for the technical part.",
    "I'll send over the recap and the deck after the call.", "Can we move next week's call to "
    "the morning?", "You can also reach me at {phone} if anything comes up.",
    "Great, talk soon, have a good rest of your day.", "Thanks everyone, bye bye.",
)  # fmt: skip
SPOKEN = ("Yeah, so ", "So, ", "Um, ", "Honestly, ", "I mean, ", "Right, so ", "", "", "", "")

# --- CRM -------------------------------------------------------------------------------------
CRM_FRAMES = (
    "Call with {contact} ({title}): {text}\nNext step: {next}",
    "Met {contact} at the booth. {text}",
    "{account} feedback: {text}",
    "Notes from QBR with {contact}:\n- {text}\n- {next}",
    "Email from {contact} <{email}>: \"{text}\"",
    "Discovery call. Pain point as they put it: {text}\nDirect line: {phone}",
    "Webinar Q&A, {contact} asked / said: {text}",
    "{text} (said {contact}, {title} at {account})",
)  # fmt: skip
CRM_NEXT = ("send pricing", "follow up in two weeks", "book a demo with the SE",
            "loop in product", "share the case study", "renewal call in Q4")  # fmt: skip
CRM_STAFF = (
    "Left voicemail.", "Sent contract for signature.", "Meeting rescheduled to {day}.",
    "No answer, will try again next week.", "Updated the opportunity stage.",
    "Intro email sent to {contact}.", "Invoice sent, waiting for PO.",
    "Handed over to Customer Success.", "Booked the kickoff for {day}.",
)  # fmt: skip
SURVEY_FILLERS = ("no", "n/a", "N/A", "nope", "Nothing else, thanks!", "-", "keep it up",
                  "All good", "Nein danke", "Rien à ajouter", "none", ".")  # fmt: skip

SLOTS = {
    "food": ("pizza", "tacos", "sushi", "bagels", "curry", "salad bowls", "dumplings"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "city": ("Lisbon", "Berlin", "Austin", "Leeds", "Lyon", "Denver", "Porto", "Utrecht"),
    "date": ("12 September", "3 October", "the 21st", "next Friday", "14 November"),
    "thing": ("yoghurt", "oat milk", "lunch box", "hummus", "cold brew"),
    "team": ("Sales", "Support", "Product", "Marketing", "Finance", "Ops"),
    "time": ("9:30", "10:30", "11:00", "2pm", "3:30", "4pm"),
    "q": ("1", "2", "3", "4"),
}


def fill(rng: random.Random, template: str, **values: str) -> str:
    """Fill ``{slot}`` placeholders: given values first, then random picks from :data:`SLOTS`."""
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    for key, options in SLOTS.items():
        while "{" + key + "}" in out:
            out = out.replace("{" + key + "}", rng.choice(options), 1)
    while "{num}" in out:
        out = out.replace("{num}", str(rng.randint(100, 9999)), 1)
    for key, make in (
        ("ver", lambda: f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"),
        ("mins", lambda: str(rng.randint(3, 90))),
        ("code", lambda: "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(9))),
        ("ticket", lambda: f"ENG-{rng.randint(1000, 9999)}"),
        ("handle", lambda: rng.choice(("sam", "priya", "jo", "mika", "lee"))),
    ):
        while "{" + key + "}" in out:
            out = out.replace("{" + key + "}", make(), 1)
    return out


def chatter(rng: random.Random, colleague: str) -> str:
    """One general-channel message: office chatter, sometimes in another language."""
    if rng.random() < 0.15:
        return fill(rng, rng.choice(FOREIGN_CHATTER), colleague=colleague)
    body = rng.choice(CHATTER_BODIES)
    opener = rng.choice(CHATTER_OPENERS)
    text = opener + (body if opener else body[0].upper() + body[1:])
    return fill(rng, text + rng.choice(CHATTER_CLOSERS), colleague=colleague)
