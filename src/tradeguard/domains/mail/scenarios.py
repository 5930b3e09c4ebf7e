"""The routine mail of a seller's inbox, as drafts for the simulator (attacks: ``attacks.py``).

Each scenario is a function of the seeded :class:`Writer` that returns one :class:`Draft`:
sender, words, links and files, and what the store's receiving server found when it checked
the sender (SPF, DKIM, DMARC). Real brands pass all three; small suppliers often publish no
DMARC policy, which is no finding on its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone
from html import escape
from typing import TypeVar

from tradeguard.domains.mail import samples

T = TypeVar("T")
# The store's people and suppliers: the demo names them in its settings, so the impersonation
# checks know whose names and domains fraudsters copy.
STAFF = ("Li Wei", "Anna Meyer", "Carlos Ortega", "Priya Raman")
OWNER = STAFF[0]
CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class Supplier:
    name: str
    domain: str
    contact: str  # who writes from the supplier
    lookalikes: tuple[str, ...]  # domains a fraudster registers to pass for the supplier
    goods: tuple[str, ...]


SUPPLIERS = (
    Supplier(
        "Shenzhen Bright Textile Co",
        "brighttextile.cn",
        "Chen Jing",
        ("brighttexti1e.cn", "brigthtextile.cn", "brightextile.cn"),
        ("cotton tote bags", "linen aprons", "canvas pouches"),
    ),
    Supplier(
        "Ningbo Harbour Packaging",
        "harbourpack.com",
        "Zhou Min",
        ("harbourpaks.com", "harb0urpack.com", "harbourpack.co"),
        ("kraft mailer boxes", "padded envelopes", "printed tissue paper"),
    ),
    Supplier(
        "Yiwu Starlight Crafts",
        "starlightcrafts.com",
        "Wang Lei",
        ("starlightcraft.com", "starlightcrafts.co", "starllghtcrafts.com"),
        ("enamel pins", "embroidered patches", "keyrings"),
    ),
)
PRODUCTS = (
    "Linen tote bag, natural", "Enamel pin set (3)", "Canvas pouch, olive", "Linen apron, rust",
    "Embroidered patch, fox", "Cotton tote bag, black", "Keyring, brass moon",
)  # fmt: skip
CUSTOMERS = (
    ("Emma Johnson", "gmail.com"), ("Lukas Schneider", "gmx.de"), ("Sofia Rossi", "libero.it"),
    ("Haruto Sato", "gmail.com"), ("Maria Garcia", "outlook.com"), ("Olivia Brown", "yahoo.com"),
    ("Camille Martin", "orange.fr"), ("Noah Wilson", "icloud.com"), ("Jan Kowalski", "wp.pl"),
    ("Ana Souza", "gmail.com"), ("Liam Murphy", "hotmail.com"), ("Chloe Tan", "gmail.com"),
)  # fmt: skip
QQ_CUSTOMERS = ("王芳", "李娜", "张伟", "刘洋", "陈静")
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(slots=True)
class Draft:
    """One message before rendering: who wrote it, what it says, what the server found."""

    sender: str  # "Display Name <address>"
    subject: str
    text: str
    auth: str  # the Authentication-Results value after the receiving server's name
    mailfrom: str  # the envelope sender (Return-Path, SPF's identity)
    to: str = ""  # default: the owner's mailbox
    html: str | None = None
    reply_to: str | None = None
    attachments: tuple[samples.Sample, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    tz: timezone = UTC  # the sender's clock, as its Date header shows it


@dataclass
class Writer:
    """What every scenario needs: the seeded dice, the store's domain, running numbers."""

    rng: random.Random
    store_domain: str
    serial: int = 0

    def pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def digits(self, n: int) -> str:
        return "".join(str(self.rng.randrange(10)) for _ in range(n))

    def token(self, n: int = 10) -> str:
        return "".join(self.pick(_ALPHABET) for _ in range(n))

    def amount(self, low: int, high: int) -> str:
        return f"{self.rng.randint(low, high):,}.{self.rng.randrange(100):02d}"

    def staff_address(self, name: str) -> str:
        return f"{name.lower().replace(' ', '.')}@{self.store_domain}"

    def staff(self, name: str) -> str:
        return f"{name} <{self.staff_address(name)}>"


def authentication(
    *, spf: str, mailfrom: str, dkim: str, dkim_domain: str, dmarc: str, header_from: str
) -> str:
    """The results part of an ``Authentication-Results`` header, as Postfix milters write it."""
    domain = mailfrom.rpartition("@")[2]
    dkim_part = f"dkim={dkim} header.d={dkim_domain}" if dkim_domain else f"dkim={dkim}"
    return (
        f"spf={spf} (domain of {mailfrom}: {spf}) smtp.mailfrom={domain}; "
        f"{dkim_part}; dmarc={dmarc} header.from={header_from}"
    )


def passing(domain: str, *, mailfrom_domain: str = "") -> tuple[str, str]:
    """(auth, mailfrom) for a sender that signs its mail and publishes DMARC: all three pass."""
    mailfrom = f"bounce@{mailfrom_domain or domain}"
    auth = authentication(
        spf="pass",
        mailfrom=mailfrom,
        dkim="pass",
        dkim_domain=domain,
        dmarc="pass",
        header_from=domain,
    )
    return auth, mailfrom


def no_dmarc(domain: str, *, dkim: bool) -> tuple[str, str]:
    """A domain its owner authenticates but without a DMARC policy: small firms and phishers."""
    mailfrom = f"mailer@{domain}"
    auth = authentication(
        spf="pass",
        mailfrom=mailfrom,
        dkim="pass" if dkim else "none",
        dkim_domain=domain if dkim else "",
        dmarc="none",
        header_from=domain,
    )
    return auth, mailfrom


def a(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def page(*paragraphs: str) -> str:
    """An HTML body as mail clients send it; each paragraph is HTML already."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f'<!DOCTYPE html><html><body style="font-family:Arial,sans-serif">{body}</body></html>'


Scenario = Callable[[Writer], Draft]

# --- routine mail ------------------------------------------------------------------------------


def marketplace_order(w: Writer) -> Draft:
    product, qty = w.pick(PRODUCTS), w.rng.randint(1, 3)
    order = f"{w.digits(3)}-{w.digits(7)}-{w.digits(7)}"
    url = f"https://sellercentral.amazon.com/orders-v3/order/{order}"
    text = (
        f"Sold, ship now: {product} (x{qty}).\n\nOrder ID: {order}\n"
        f"Please ship this order within 2 business days. Manage the order: {url}"
    )
    html = page(
        f"Sold, ship now: <b>{escape(product)}</b> (x{qty}).",
        f"Order ID: {order}",
        a(url, "View the order in Seller Central"),
    )
    auth, mailfrom = passing("amazon.com")
    sender = "Amazon Seller Central <seller-notification@amazon.com>"
    return Draft(sender, f"Sold, ship now: {product}", text, auth, mailfrom, html=html)


def marketplace_sale(w: Writer) -> Draft:
    product = w.pick(PRODUCTS)
    brand, address, domain = w.pick(
        (("eBay", "ebay@ebay.com", "ebay.com"), ("Etsy", "transaction@etsy.com", "etsy.com"))
    )
    text = (
        f"Congratulations, you made a sale on {brand}: {product}, "
        f"EUR {w.amount(12, 90)}. Ship it by {w.rng.randint(2, 4)} business days from today."
    )
    auth, mailfrom = passing(domain)
    return Draft(f"{brand} <{address}>", f"You made a sale: {product}", text, auth, mailfrom)


def marketplace_payout(w: Writer) -> Draft:
    brand, address, domain = w.pick(
        (
            ("Amazon Payments", "payments-messages@amazon.com", "amazon.com"),
            ("Stripe", "notifications@stripe.com", "stripe.com"),
            ("PayPal", "service@paypal.com", "paypal.com"),
        )
    )
    amount, last4 = w.amount(800, 9_000), w.digits(4)
    text = (
        f"Your payout of EUR {amount} has been sent to your bank account ending in {last4}. "
        "It usually arrives within 1 to 3 business days."
    )
    auth, mailfrom = passing(domain)
    return Draft(
        f"{brand} <{address}>", f"Your payout of EUR {amount} is on its way", text, auth, mailfrom
    )


def marketplace_policy(w: Writer) -> Draft:
    topic = w.pick(
        (
            "changes to the Business Solutions Agreement",
            "new product safety documentation for the EU (GPSR)",
            "updated fees for Fulfilment by Amazon from next quarter",
        )
    )
    url = f"https://sellercentral.amazon.com/help/hub/reference/{w.token(8)}"
    text = f"Hello,\n\nWe are writing to let you know about {topic}. Read the details: {url}"
    html = page(
        f"We are writing to let you know about {escape(topic)}.",
        a(url, "Read what changes and when"),
    )
    auth, mailfrom = passing("amazon.com")
    return Draft(
        "Amazon Selling Partner Support <seller-news@amazon.com>",
        f"Policy update: {topic}",
        text,
        auth,
        mailfrom,
        html=html,
    )


def _supplier_mail(supplier: Supplier) -> tuple[str, str, str, timezone]:
    """(sender, auth, mailfrom, clock): suppliers sign with DKIM; only the largest has DMARC."""
    local = supplier.contact.lower().replace(" ", ".")
    sender = f"{supplier.contact} - {supplier.name} <{local}@{supplier.domain}>"
    if supplier is SUPPLIERS[0]:
        auth, mailfrom = passing(supplier.domain)
    else:
        auth, mailfrom = no_dmarc(supplier.domain, dkim=True)
    return sender, auth, mailfrom, CHINA


def supplier_quote(w: Writer) -> Draft:
    supplier = w.pick(SUPPLIERS)
    goods, pieces, number = w.pick(supplier.goods), w.rng.choice((500, 1000, 2000)), w.digits(4)
    sender, auth, mailfrom, tz = _supplier_mail(supplier)
    text = (
        f"Dear {OWNER},\n\nThank you for your enquiry. Please find attached our quotation "
        f"Q-{number} for {pieces} pcs {goods}: USD {w.amount(1, 4)} per piece FOB Shenzhen, "
        f"lead time {w.rng.randint(15, 35)} days after the sample is approved.\n\n"
        f"Best regards,\n{supplier.contact}\n{supplier.name}"
    )
    quote = samples.pdf(f"Quotation_Q-{number}.pdf", f"{supplier.name} quotation Q-{number}")
    return Draft(
        sender,
        f"Quotation Q-{number}: {pieces} pcs {goods}",
        text,
        auth,
        mailfrom,
        attachments=(quote,),
        tz=tz,
    )


def supplier_po(w: Writer) -> Draft:
    supplier = w.pick(SUPPLIERS)
    po, goods = w.digits(4), w.pick(supplier.goods)
    sender, auth, mailfrom, tz = _supplier_mail(supplier)
    text = (
        f"Dear {OWNER},\n\nWe confirm your PO {po} for {goods}. Production starts next week; "
        f"we will send photos of the first pieces for your approval. The proforma invoice "
        f"PI-{po} is attached, payment terms as agreed (30% deposit, 70% before shipment).\n\n"
        f"Best regards,\n{supplier.contact}"
    )
    invoice = samples.pdf(f"PI-{po}.pdf", f"Proforma invoice PI-{po}")
    return Draft(sender, f"PO {po} confirmed", text, auth, mailfrom, attachments=(invoice,), tz=tz)


def customer_question(w: Writer) -> Draft:
    order = f"#{w.rng.randint(10_000, 19_999)}"
    if w.rng.random() < 0.3:
        name, address, tz = w.pick(QQ_CUSTOMERS), f"{w.rng.randint(10**8, 10**10)}@qq.com", CHINA
    else:
        name, domain = w.pick(CUSTOMERS)
        address, tz = f"{name.lower().replace(' ', '.')}{w.rng.randint(1, 99)}@{domain}", UTC
    question = w.pick(
        (
            f"I ordered on Monday (order {order}) and the tracking has not moved since. "
            "Could you check where it is?",
            f"Does the linen apron come in a longer size? I would like to order two ({order}).",
            f"One of the pins in order {order} arrived bent. Can I get a replacement?",
            "Do you ship to Norway, and would I pay import VAT on delivery?",
            "Would you offer a discount for 50 tote bags for our shop?",
        )
    )
    text = f"Hello,\n\n{question}\n\nThank you,\n{name}"
    domain = address.rpartition("@")[2]
    auth, mailfrom = passing(domain)
    return Draft(
        f"{name} <{address}>", f"Question about my order {order}", text, auth, mailfrom, tz=tz
    )


def logistics_tracking(w: Writer) -> Draft:
    carrier, address, domain, url = w.pick(
        (
            (
                "DHL Express",
                "noreply@dhl.com",
                "dhl.com",
                "https://www.dhl.com/global-en/home/tracking.html?tracking-id=",
            ),
            ("UPS", "mcinfo@ups.com", "ups.com", "https://www.ups.com/track?tracknum="),
            (
                "FedEx",
                "trackingupdates@fedex.com",
                "fedex.com",
                "https://www.fedex.com/fedextrack/?trknbr=",
            ),
        )
    )
    number = w.digits(12)
    status = w.pick(("is on its way", "is out for delivery", "was delivered"))
    text = f"Your shipment {number} {status}.\nFollow it here: {url}{number}"
    html = page(
        f"Your shipment <b>{number}</b> {status}.",
        a(f"{url}{number}", "See where your parcel is now"),
    )
    auth, mailfrom = passing(domain)
    return Draft(
        f"{carrier} <{address}>", f"Shipment {number} {status}", text, auth, mailfrom, html=html
    )


def newsletter(w: Writer) -> Draft:
    name, address, domain, title = w.pick(
        (
            (
                "Marketplace Pulse",
                "newsletter@marketplacepulse.com",
                "marketplacepulse.com",
                "This week in marketplaces",
            ),
            ("Shopify", "hello@shopify.com", "shopify.com", "Ideas for your holiday season"),
            (
                "Jungle Scout",
                "news@junglescout.com",
                "junglescout.com",
                "Five listing photo mistakes",
            ),
        )
    )
    story = f"https://{domain}/blog/{w.token(6).lower()}"
    if w.rng.random() < 0.3:  # marketers shorten links too: a finding, not a reason to hold
        story = f"https://bit.ly/{w.token(7)}"
    leave = f"https://{domain}/unsubscribe?u={w.token(16)}"
    text = f"{title}\n\nRead the story: {story}\n\nUnsubscribe: {leave}"
    html = page(
        f"<b>{escape(title)}</b>",
        a(story, "Read the story"),
        f"<small>{a(leave, 'Unsubscribe')} from these e-mails.</small>",
    )
    auth, mailfrom = passing(domain, mailfrom_domain=f"mail.{domain}")
    return Draft(
        f"{name} <{address}>",
        title,
        text,
        auth,
        mailfrom,
        html=html,
        extra=(("List-Unsubscribe", f"<{leave}>"),),
    )


def internal(w: Writer) -> Draft:
    colleague = w.pick(STAFF[1:])
    subject, body = w.pick(
        (
            ("Stock count Friday", "Can we do the stock count on Friday morning before 10?"),
            ("Photos for the new listings", "The olive pouch photos are in the shared folder."),
            ("Customs papers for the Berlin pallet", "Please check the HS codes on the invoice."),
        )
    )
    auth, mailfrom = passing(w.store_domain)
    return Draft(
        w.staff(colleague),
        subject,
        f"Hi {OWNER.split()[0]},\n\n{body}\n\n{colleague}",
        auth,
        mailfrom,
    )


# (name, weight): the mix of an ordinary week's inbox.
LEGITIMATE: tuple[tuple[str, float, Scenario], ...] = (
    ("marketplace_order", 16, marketplace_order),
    ("marketplace_sale", 6, marketplace_sale),
    ("marketplace_payout", 6, marketplace_payout),
    ("marketplace_policy", 3, marketplace_policy),
    ("supplier_quote", 7, supplier_quote),
    ("supplier_po", 6, supplier_po),
    ("customer_question", 24, customer_question),
    ("logistics_tracking", 14, logistics_tracking),
    ("newsletter", 10, newsletter),
    ("internal", 8, internal),
)
