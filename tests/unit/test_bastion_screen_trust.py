"""When the screen may tell a line the keys do not (layers/bastion/ssh/screen_trust), played
through the terminal tracker as a shell's prompts, echoes and other output would come."""
from layers.bastion.ssh.screen_trust import ECHO_GRACE, OVERWRITTEN, UNREAD, UNREADABLE_LINE, ScreenTrust
from layers.bastion.terminal import LineTracker

PROMPT = b"\x1b[?2004h$ "          # bash draws its prompt with bracketed paste on


def at_a_prompt():
    tracker = LineTracker(80, 24)
    trust = ScreenTrust(tracker)
    tracker.output(PROMPT)
    trust.output(0.0, 0)
    return tracker, trust


def typed(tracker, trust, keys: bytes, echo: bytes, at: float, echo_after: float = 0.01):
    tracker.input(keys, 0)
    trust.key_sent(at)
    prompts = tracker.prompts
    tracker.output(echo)
    trust.output(at + echo_after, prompts)


def test_a_line_the_screen_shows_may_be_read_off_it():
    tracker, trust = at_a_prompt()
    typed(tracker, trust, b"\x1b[A", b"ls -l", at=5.0)           # recalled: the keys do not tell it
    assert tracker.pending() == "ls -l"
    assert trust.refusal(tracker.pending(), None) is None
    assert trust.refusal(tracker.pending(), "ls -l") is None


def test_a_line_that_shows_nothing_is_unread():
    tracker, trust = at_a_prompt()
    typed(tracker, trust, b"\x1b[A", b"", at=5.0)                # the echo off: nothing drawn
    assert trust.refusal(tracker.pending(), None) == (UNREADABLE_LINE, UNREAD)
    assert trust.refusal(tracker.pending(), "rm -f x") is None                      # ... unless the keys tell it


def test_output_no_key_asked_for_makes_the_line_a_guess_until_the_next_line():
    tracker, trust = at_a_prompt()
    typed(tracker, trust, b"\x1b[A", b"#rm -f x", at=5.0)
    prompts = tracker.prompts
    tracker.output(b"\r\x1b[2K$ echo fine")                     # a background job, a second later
    trust.output(6.0, prompts)
    assert trust.refusal(tracker.pending(), None) == ("echo fine", OVERWRITTEN)
    trust.line_entered()
    assert trust.refusal(tracker.pending(), None) is None


def test_an_echo_that_comes_late_but_within_the_grace_is_an_echo():
    tracker, trust = at_a_prompt()
    typed(tracker, trust, b"\x1b[A", b"ls", at=5.0, echo_after=ECHO_GRACE / 2)
    prompts = tracker.prompts
    tracker.output(b" -l")                                       # more of it, soon after that echo
    trust.output(5.0 + ECHO_GRACE, prompts)
    assert trust.refusal(tracker.pending(), None) is None


def test_a_new_prompt_is_no_overwriting():
    tracker, trust = at_a_prompt()
    tracker.input(b"sleep 5\r", 0)
    trust.key_sent(1.0)
    tracker.output(b"sleep 5\r\n")
    trust.output(1.01, tracker.prompts)
    prompts = tracker.prompts
    tracker.output(PROMPT)                                       # five seconds later: the next prompt
    trust.output(6.0, prompts)
    typed(tracker, trust, b"\x1b[A", b"sleep 5", at=7.0)
    assert trust.refusal(tracker.pending(), None) is None
