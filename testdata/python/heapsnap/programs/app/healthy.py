"""Control: a small settings dict kept on purpose; temporaries are all released."""

SETTINGS = {"mode": "prod", "workers": 4, "timeout": 30.0}


def run():
    total = 0
    for i in range(6000):
        row = ("row %d " % i) * 20
        total += len(row)
    SETTINGS["last_total"] = total


def held():
    return "app.healthy \u00b7 SETTINGS", SETTINGS
