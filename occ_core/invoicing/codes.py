"""FatturaPA code lists of schema 1.2.2 that the Order's invoices use, with their Italian labels."""
from __future__ import annotations

# RegimeFiscale: the 1.2.2 list has no RF03.
REGIMES = {
    "RF01": "Regime ordinario",
    "RF02": "Contribuenti minimi (art. 1, c. 96-117, L. 244/2007)",
    "RF04": "Agricoltura e attività connesse e pesca (artt. 34 e 34-bis, DPR 633/1972)",
    "RF05": "Vendita sali e tabacchi (art. 74, c. 1, DPR 633/1972)",
    "RF06": "Commercio dei fiammiferi (art. 74, c. 1, DPR 633/1972)",
    "RF07": "Editoria (art. 74, c. 1, DPR 633/1972)",
    "RF08": "Gestione di servizi di telefonia pubblica (art. 74, c. 1, DPR 633/1972)",
    "RF09": "Rivendita di documenti di trasporto pubblico e di sosta (art. 74, c. 1, DPR 633/1972)",
    "RF10": "Intrattenimenti, giochi e altre attività della tariffa allegata al DPR 640/1972",
    "RF11": "Agenzie di viaggi e turismo (art. 74-ter, DPR 633/1972)",
    "RF12": "Agriturismo (art. 5, c. 2, L. 413/1991)",
    "RF13": "Vendite a domicilio (art. 25-bis, c. 6, DPR 600/1973)",
    "RF14": "Rivendita di beni usati, oggetti d'arte, d'antiquariato o da collezione",
    "RF15": "Agenzie di vendite all'asta di oggetti d'arte, antiquariato o da collezione",
    "RF16": "IVA per cassa P.A. (art. 6, c. 5, DPR 633/1972)",
    "RF17": "IVA per cassa (art. 32-bis, DL 83/2012)",
    "RF18": "Altro",
    "RF19": "Regime forfettario",
}

# Natura of the operations without IVA in force since 1 January 2021.
NATURES = {
    "N1": "Escluse ex art. 15 DPR 633/1972",
    "N2.1": "Non soggette ad IVA ai sensi degli artt. da 7 a 7-septies DPR 633/1972",
    "N2.2": "Non soggette - altri casi",
    "N3.1": "Non imponibili - esportazioni",
    "N3.2": "Non imponibili - cessioni intracomunitarie",
    "N3.3": "Non imponibili - cessioni verso San Marino",
    "N3.4": "Non imponibili - operazioni assimilate alle cessioni all'esportazione",
    "N3.5": "Non imponibili - a seguito di dichiarazioni d'intento",
    "N3.6": "Non imponibili - altre operazioni che non concorrono alla formazione del plafond",
    "N4": "Esenti",
    "N5": "Regime del margine / IVA non esposta in fattura",
    "N6.1": "Inversione contabile - cessione di rottami e altri materiali di recupero",
    "N6.2": "Inversione contabile - cessione di oro e argento",
    "N6.3": "Inversione contabile - subappalto nel settore edile",
    "N6.4": "Inversione contabile - cessione di fabbricati",
    "N6.5": "Inversione contabile - cessione di telefoni cellulari",
    "N6.6": "Inversione contabile - cessione di prodotti elettronici",
    "N6.7": "Inversione contabile - prestazioni comparto edile e settori connessi",
    "N6.8": "Inversione contabile - operazioni settore energetico",
    "N6.9": "Inversione contabile - altri casi",
    "N7": "IVA assolta in altro stato UE",
}
# Still in the schema, refused by the SdI (error 00445) for documents dated from 1 January 2021.
RETIRED_NATURES = ("N2", "N3", "N6")

PENSION_FUNDS = {
    "TC01": "Cassa forense (avvocati)",
    "TC02": "Cassa dottori commercialisti",
    "TC03": "Cassa geometri",
    "TC04": "Inarcassa (ingegneri e architetti)",
    "TC05": "Cassa del notariato",
    "TC06": "Cassa ragionieri e periti commerciali",
    "TC07": "ENASARCO",
    "TC08": "ENPACL (consulenti del lavoro)",
    "TC09": "ENPAM",
    "TC10": "ENPAF",
    "TC11": "ENPAV",
    "TC12": "ENPAIA",
    "TC13": "Fondo spedizionieri e agenzie marittime",
    "TC14": "INPGI",
    "TC15": "ONAOSI",
    "TC16": "CASAGIT",
    "TC17": "EPPI",
    "TC18": "EPAP",
    "TC19": "ENPAB",
    "TC20": "ENPAPI",
    "TC21": "ENPAP (psicologi)",
    "TC22": "INPS (gestione separata)",
}
# The INPS rivalsa is part of the fee and withheld on with it; the professional funds' contributo
# integrativo is not.
PENSION_FUNDS_WITHHELD = ("TC22",)

WITHHOLDINGS = {
    "RT01": "Ritenuta d'acconto persone fisiche",
    "RT02": "Ritenuta d'acconto persone giuridiche",
    "RT03": "Contributo INPS",
    "RT04": "Contributo ENASARCO",
    "RT05": "Contributo ENPAM",
    "RT06": "Altro contributo previdenziale",
}
# CausalePagamento of the Certificazione Unica; Z is not valid since 2021.
PAYMENT_REASONS = ("A", "B", "C", "D", "E", "G", "H", "I", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U",
                   "V", "W", "X", "Y", "L1", "M1", "M2", "O1", "V1", "ZO")

DOCUMENT_TYPES = {"invoice": "TD01", "advance": "TD02", "final": "TD01", "credit_note": "TD04"}
KINDS = {"invoice": "Fattura", "advance": "Fattura di acconto", "final": "Fattura a saldo",
         "credit_note": "Nota di credito"}
CUSTOMER_KINDS = {"consumer": "Consumatore (persona fisica)", "business": "Impresa o professionista"}
CATEGORIES = {
    "start_fee": "Spese di avvio",
    "fee": "Compenso OCC",
    "general_expenses": "Spese generali",
    "expense": "Spese documentate anticipate",
    "stamp_recharge": "Rimborso imposta di bollo",
    "advance_deduction": "Detrazione acconto",
    "other": "Altro",
}
