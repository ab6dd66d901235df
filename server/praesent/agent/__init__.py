"""``praesent agent``: the desktop companion that notices a call, asks the seller whether to
coach it, captures it while they said yes and finalises the session when the call ends."""
