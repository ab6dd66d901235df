"""Scripted sales calls, English and German, for the topic tests and the benchmark."""

from __future__ import annotations

from tests.core.topic_helpers import Line

# Invoicing, then (cue "moving on") the rollout, then (cohesion drop) the warehouse.
EN_INVOICING = [
    ("seller", "Thanks for taking the time today. How do you handle invoicing at the moment?"),
    (
        "customer",
        "We handle invoicing by hand in spreadsheets. Every invoice goes through three "
        "people before it is sent to the client.",
    ),
    ("seller", "I see. How many invoices do you send each month?"),
    (
        "customer",
        "About two thousand invoices a month. The spreadsheets get slow and the invoice "
        "numbers get mixed up at month end.",
    ),
    ("seller", "Mhm."),
    ("customer", "Late invoices mean late payments, and our cash flow suffers from it."),
]
EN_ROLLOUT = [
    ("seller", "Moving on to the rollout. When would you want to start?"),
    (
        "customer",
        "The rollout should start in March with the finance department. Training for the "
        "finance department must happen in February.",
    ),
    ("seller", "Who would run the training?"),
    (
        "customer",
        "Our finance lead Maria runs the training sessions. After March the rollout "
        "continues to the other offices in Hamburg and Vienna.",
    ),
]
EN_WAREHOUSE = [
    ("seller", "And what does your warehouse team need for shipping labels and parcels?"),
    (
        "customer",
        "The warehouse prints shipping labels for every parcel. Our courier picks up "
        "parcels twice a day, and the labels often jam the printer.",
    ),
    ("seller", "Which courier do you use for parcels?"),
    (
        "customer",
        "Mostly the national post for small parcels, and a freight carrier for pallets. "
        "Pallets leave the warehouse on Fridays.",
    ),
]

DE_RECHNUNGEN = [
    ("seller", "Danke für Ihre Zeit. Wie erstellen Sie Ihre Rechnungen heute?"),
    (
        "customer",
        "Wir schreiben die Rechnungen von Hand in Excel. Jede Rechnung geht durch drei "
        "Abteilungen, bevor sie zum Kunden geht.",
    ),
    ("seller", "Verstehe. Wie viele Rechnungen sind das im Monat?"),
    (
        "customer",
        "Etwa zweitausend Rechnungen im Monat. Am Monatsende wird Excel langsam und die "
        "Rechnungsnummern geraten durcheinander.",
    ),
    ("seller", "Aha."),
    ("customer", "Späte Rechnungen bedeuten späte Zahlungen, und die Liquidität leidet."),
]
DE_EINFUEHRUNG = [
    ("seller", "Kommen wir zur Einführung. Wann möchten Sie starten?"),
    (
        "customer",
        "Die Einführung soll im März mit der Buchhaltung beginnen. Die Schulung der "
        "Buchhaltung muss im Februar stattfinden.",
    ),
    ("seller", "Wer übernimmt die Schulung?"),
    (
        "customer",
        "Unsere Leiterin Maria übernimmt die Schulungen. Nach März folgt die Einführung in "
        "den Büros in Hamburg und Wien.",
    ),
]
DE_LAGER = [
    ("seller", "Und was braucht Ihr Lager für Versandetiketten und Pakete?"),
    (
        "customer",
        "Das Lager druckt Versandetiketten für jedes Paket. Der Paketdienst holt die Pakete "
        "zweimal am Tag ab, und die Etiketten verklemmen oft den Drucker.",
    ),
    ("seller", "Welchen Paketdienst nutzen Sie?"),
    (
        "customer",
        "Meistens die Post für kleine Pakete und eine Spedition für Paletten. Die Paletten "
        "verlassen das Lager freitags.",
    ),
]


def en_call() -> list[Line]:
    return [*EN_INVOICING, *EN_ROLLOUT, *EN_WAREHOUSE]


def de_call() -> list[Line]:
    return [*DE_RECHNUNGEN, *DE_EINFUEHRUNG, *DE_LAGER]
