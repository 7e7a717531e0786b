"""The collector: the small web service that receives sign-ups, unsubscribes and survey answers."""
