"""The attacks in the simulated inbox: one function per scenario, as phishers build them today.

Attackers authenticate their own domains as real ones do (SPF passes, often DKIM too), so
authentication alone rarely gives them away: whose name they borrow, where their links go and
what they attach does. Sample files come from :mod:`samples` and are inert.
"""

from __future__ import annotations

from tradeguard.domains.mail import samples
from tradeguard.domains.mail.scenarios import (
    CHINA,
    OWNER,
    STAFF,
    SUPPLIERS,
    Draft,
    Scenario,
    Writer,
    a,
    authentication,
    no_dmarc,
    page,
    passing,
)

SHORTENERS = ("bit.ly", "tinyurl.com", "cutt.ly", "rb.gy")
FORM_HOSTS = ("web.app", "firebaseapp.com", "pages.dev", "netlify.app")
FREEMAIL = ("gmail.com", "outlook.com", "hotmail.com")


def seller_central_phishing(w: Writer) -> Draft:
    domain = w.pick(("amazon-seller-verify.com", "arnazon.com", "sellercentral-amazon-support.com"))
    shown = "https://sellercentral.amazon.com/verify-identity"
    href = f"https://signin.{domain}/ap/signin?session={w.token(16)}"
    html = page(
        "We were unable to verify the information associated with your selling account. "
        "Your listings will be removed unless you verify your identity within 48 hours.",
        a(href, shown),
        "Amazon Seller Performance Team",
    )
    text = "Your listings will be removed unless you verify your identity within 48 hours."
    auth, mailfrom = no_dmarc(domain, dkim=w.rng.random() < 0.5)
    return Draft(
        f"Amazon Seller Central <seller-performance@{domain}>",
        "Action required: verify your seller account",
        text,
        auth,
        mailfrom,
        html=html,
    )


def paypal_freemail(w: Writer) -> Draft:
    domain = w.pick(FREEMAIL)
    address = f"paypal.service.{w.digits(3)}@{domain}"
    short = f"https://{w.pick(SHORTENERS)}/{w.token(7)}"
    text = (
        "Dear customer,\n\nWe noticed unusual activity on your PayPal account. Your account "
        "has been limited until you confirm your information.\n\n"
        f"Restore access now: {short}\n\nPayPal Security Team"
    )
    auth, mailfrom = passing(domain)
    return Draft(f"PayPal <{address}>", "Your account has been limited", text, auth, mailfrom)


def parcel_customs_fee(w: Writer) -> Draft:
    carrier = w.pick(("DHL", "USPS"))
    host = f"{carrier.lower()}-customs-{w.token(5).lower()}.{w.pick(FORM_HOSTS)}"
    href = f"https://{host}/pay?id={w.digits(10)}"
    fee = f"{w.rng.randint(1, 3)}.{w.rng.choice((49, 95, 99))}"
    html = page(
        f"Your parcel is held at our depot: a customs fee of USD {fee} is unpaid.",
        "It will be returned to the sender if the fee is not paid within 24 hours.",
        a(href, "Pay the customs fee and book delivery"),
    )
    text = f"Your parcel is held: pay the customs fee of USD {fee} within 24 hours: {href}"
    domain = f"parcel-notice-{w.digits(2)}.top"
    auth, mailfrom = no_dmarc(domain, dkim=False)
    return Draft(
        f"{carrier} Express <track@{domain}>",
        "Your parcel is on hold: customs fee unpaid",
        text,
        auth,
        mailfrom,
        html=html,
    )


def supplier_bank_change(w: Writer) -> Draft:
    supplier = w.pick(SUPPLIERS)
    domain = w.pick(supplier.lookalikes)
    local = supplier.contact.lower().replace(" ", ".")
    invoice = w.digits(4)
    text = (
        f"Dear {OWNER},\n\nPlease note that our company bank account has changed because of "
        f"our annual audit. Kindly remit the balance of USD {w.amount(8_000, 40_000)} for "
        f"PI-{invoice} to our new account:\n\nBank: HSBC Hong Kong\nAccount: {w.digits(12)}\n"
        "SWIFT: HSBCHKHHHKH\n\nDo not pay to the old account, it is under review. Please "
        f"confirm once the payment is made.\n\nBest regards,\n{supplier.contact}"
    )
    auth, mailfrom = no_dmarc(domain, dkim=True)
    return Draft(
        f"{supplier.contact} - {supplier.name} <{local}@{domain}>",
        f"Re: PI-{invoice} - updated bank details",
        text,
        auth,
        mailfrom,
        reply_to=f"{local}.{supplier.domain.split('.')[0]}@gmail.com",
        tz=CHINA,
    )


def staff_gift_cards(w: Writer) -> Draft:
    target = w.pick(STAFF[1:])
    domain = w.pick(("gmail.com", "exec-office-mail.com"))
    address = f"{OWNER.lower().replace(' ', '')}.office@{domain}"
    text = (
        f"Hi {target.split()[0]},\n\nAre you at your desk? I need you to buy 5 Apple gift cards "
        "of USD 200 each for a client today. Scratch the back, take a photo of the codes and "
        f"send them to me here. I am in meetings all day, e-mail only.\n\n{OWNER}\n"
        "Sent from my iPhone"
    )
    auth, mailfrom = passing(domain) if domain == "gmail.com" else no_dmarc(domain, dkim=True)
    return Draft(f"{OWNER} <{address}>", "Quick favour", text, auth, mailfrom, to=w.staff(target))


def macro_invoice(w: Writer) -> Draft:
    domain = f"{w.pick(('euro', 'atlas', 'nordic'))}-trade-invoices.com"
    number = w.digits(5)
    text = (
        f"Dear customer,\n\nPlease find attached invoice INV-{number}, overdue since last "
        "week. If the document does not display, click 'Enable content'.\n\nAccounts Receivable"
    )
    invoice = samples.macro_invoice(f"INV-{number}.docm")
    auth, mailfrom = no_dmarc(domain, dkim=True)
    return Draft(
        f"Accounts Receivable <invoices@{domain}>",
        f"Overdue invoice INV-{number}",
        text,
        auth,
        mailfrom,
        attachments=(invoice,),
    )


def html_login_attachment(w: Writer) -> Draft:
    domain = f"docs-share-{w.digits(3)}.com"
    number = w.digits(6)
    action = f"https://collect-{w.token(6).lower()}.example/owa/auth.php"
    attachment = samples.login_page(
        f"Remittance_Advice_{number}.html",
        brand="Microsoft 365",
        email=w.staff_address(OWNER),
        action=action,
    )
    text = (
        f"Hello,\n\nPlease find attached the remittance advice for payment {number}. "
        "Open the attached document and sign in with your e-mail to view it."
    )
    auth, mailfrom = no_dmarc(domain, dkim=False)
    return Draft(
        f"Accounts Payable <ap@{domain}>",
        f"Remittance advice {number}",
        text,
        auth,
        mailfrom,
        attachments=(attachment,),
    )


def iso_attachment(w: Writer) -> Draft:
    domain = f"globalfreight-{w.pick(('ltd', 'docs', 'cargo'))}.com"
    bill = w.digits(8)
    text = (
        f"Dear customer,\n\nAttached are the shipping documents for bill of lading {bill}. "
        "Please check them before the vessel arrives.\n\nGlobal Freight Ltd"
    )
    image = samples.iso_image(f"BL_{bill}_shipping_documents.iso", f"BL{bill}")
    auth, mailfrom = no_dmarc(domain, dkim=True)
    return Draft(
        f"Global Freight Ltd <docs@{domain}>",
        f"Shipping documents BL {bill}",
        text,
        auth,
        mailfrom,
        attachments=(image,),
    )


def own_domain_spoof(w: Writer) -> Draft:
    who = w.pick(STAFF[1:])
    relay = f"mail{w.digits(2)}.bulk-relay.ru"
    mailfrom = f"postmaster@{relay}"
    auth = authentication(
        spf="fail",
        mailfrom=mailfrom,
        dkim="none",
        dkim_domain="",
        dmarc="fail",
        header_from=w.store_domain,
    )
    text = (
        f"Hi {OWNER.split()[0]},\n\nI have updated the salary adjustments for next month. "
        "Please sign in to review and approve them today.\n\n"
        f"https://hr-{w.token(5).lower()}.{w.pick(FORM_HOSTS)}/review\n\n{who}"
    )
    return Draft(w.staff(who), "Salary adjustments to approve today", text, auth, mailfrom)


ATTACKS: tuple[tuple[str, Scenario], ...] = (
    ("seller_central_phishing", seller_central_phishing),
    ("paypal_freemail", paypal_freemail),
    ("parcel_customs_fee", parcel_customs_fee),
    ("supplier_bank_change", supplier_bank_change),
    ("staff_gift_cards", staff_gift_cards),
    ("macro_invoice", macro_invoice),
    ("html_login_attachment", html_login_attachment),
    ("iso_attachment", iso_attachment),
    ("own_domain_spoof", own_domain_spoof),
)
