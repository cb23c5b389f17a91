/// The words and phrases that point at each reply class, in English, German, French and Spanish.
///
/// A cue is a phrase of words; `word*` matches any word starting so, `…` lets up to three words
/// stand between. Strong cues decide a class alone, weak ones only when nothing stronger speaks
/// (weak dispute cues always count: a missed dispute is the costliest mistake). A cue is set
/// aside when a negation stands just before it ("we don't dispute it") unless the cue carries its
/// own negation ("we don't owe this"). Matching ignores case and accents.
enum ReplyLexicon {
    struct Entry {
        let replyClass: ReplyClass
        let strong: [String]
        let weak: [String]
    }

    static let entries: [Entry] = [
        Entry(replyClass: .dispute, strong: [
            // English: contesting, wrong amounts, cancelled or changed contracts, not delivered.
            "disput*", "contest*", "challenge this invoice", "disagree*", "incorrect", "inaccurate", "not correct", "isn't correct",
            "not right", "isn't right", "wrong amount", "wrong invoice", "wrong price", "wrong rate", "invoice is wrong",
            "amount is wrong", "is wrong", "billed incorrectly", "billing error", "error on … invoice", "mistake on … invoice",
            "overcharg*", "overbill*", "over-charg*", "over-bill*", "double charg*", "double-charg*", "double billed",
            "charged twice", "billed twice", "charged us twice", "billed us twice", "charged two times", "duplicate charge*",
            "duplicate invoice", "duplicate payment request", "downgrad*", "we cancel*", "i cancel*", "was cancel*",
            "were cancel*", "been cancel*", "already cancel*", "cancelled … subscription", "canceled … subscription",
            "cancelled … contract", "cancelled … account", "terminated … contract", "terminated … subscription",
            "never ordered", "never signed", "never agreed", "never authorized", "never authorised", "didn't order",
            "did not order", "didn't sign", "did not sign", "didn't agree", "did not agree", "not what we agreed",
            "not what we signed", "doesn't match", "does not match", "don't match", "do not match", "don't owe", "do not owe",
            "not owe", "owe nothing", "nothing is owed", "not liable", "not responsible for this", "should have been credited",
            "supposed to be credited", "credit … promised", "promised … credit", "was supposed to be", "supposed to be free",
            "free of charge", "chargeback", "charge back", "unauthori*", "not authorized", "not authorised",
            "never received the service", "never received the goods", "never received the product",
            "never received any service", "never got the service", "didn't receive the service", "not delivered", "never delivered",
            "wasn't delivered", "not provided", "never provided", "never used", "haven't used", "didn't use", "did not use",
            "we only have", "we only use", "only have … seats", "only have … licenses", "only have … users", "only use* …",
            "reduced … seats", "reduced … licenses", "reduced … users", "down to … seats", "removed … seats", "removed … users",
            "agreed price", "agreed rate", "agreed discount", "agreed to waive", "waived", "contracted rate", "per our contract",
            "according to our contract", "against our contract", "contract says", "should only be",
            "not accept this invoice", "refuse to pay", "won't pay", "will not pay", "not going to pay", "not paying this",
            "rejecting this", "reject this invoice", "with my bank", "with our bank", "filed a claim",
            "only signed", "only agreed", "only ordered", "only bought", "only purchased", "only contracted", "only subscribed",
            "shouldn't be charged", "should not be charged", "shouldn't have been charged", "should not have been charged",
            "shouldn't be billed", "should not be billed", "suspended our service", "service was suspended", "look off", "looks off",
            "seem off", "seems off", "doesn't add up", "does not add up", "only renewed", "still shows", "isn't overdue",
            "not overdue", "shouldn't be on", "should not be on", "per section", "per our msa", "our msa", "we paused",
            "paused the account", "paused our account", "should be 0", "not paying", "we returned", "returned the",
            "still on the bill", "still on the invoice", "this wrong", "didn't request", "did not request", "never requested",
            "remembers agreeing", "nobody … agreed", "no one … agreed", "isn't ours", "is not ours", "don't have an account with",
            "never communicated", "old rate", "quote we signed", "quoted amount", "order form says", "we closed",
            "take it off", "remove it from", "fraudulent", "cobraron doble", "cobrado doble", "cobro doble", "doble cobro",
            "n'a pas ete appliquee", "pas ete appliquee", "facture rectifiee", "prevue au contrat",
            "only received", "backorder*", "back order", "cuando contratamos", "nos han cobrado", "nos cobraron", "han cobrado",
            "caps … increase*", "refus* to pay", "arrived crushed", "arrived damaged", "arrived broken", "damaged", "deactivated",
            "jamais ete deduit", "pas ete deduit", "inexact*", "nie … angekommen", "nicht angekommen", "nie erhalten",
            "nicht erhalten",
            // payment made conditional on a correction; asking for one
            "once … fixed", "once … corrected", "once … credited", "once … removed", "once … resolved", "once … sorted",
            "once … updated", "as soon as … fixed", "as soon as … corrected", "when … corrected", "after … corrected",
            "until … corrected", "until … fixed", "please correct", "correct the invoice", "corrected invoice",
            "revised invoice", "fix the invoice", "adjust the invoice", "amend the invoice", "amended invoice",
            "sobald … korrigiert", "sobald … berichtigt", "sobald … gutgeschrieben", "korrigieren sie", "korrigierte rechnung",
            "berichtigen", "rechnung korrigieren", "des que … corrige*", "des que … rectifie*", "corriger la facture",
            "facture corrigee", "rectifier", "en cuanto … corrij*", "en cuanto … rectifiq*", "cuando … corrijan",
            "corregir la factura", "factura corregida", "factura rectificativa", "rectifiquen", "corrijan",
            "why am i being charged for", "why are we being charged for", "why are we being billed", "why am i being billed",
            "por que nos cobran", "por que me cobran", "warum … berechnet", "pourquoi … facture*",
            // damaged, not arrived, sent back, credits and discounts missing, cancelled, outages: in four languages
            "was broken", "were broken", "broken on arrival", "crushed", "defective", "faulty", "not working", "never arrived", "didn't arrive", "did not arrive",
            "hasn't arrived", "has not arrived", "missing items", "items missing", "sent back", "sent it back", "sent them back",
            "be credited", "credited back", "a credit for", "credit us", "issue a credit", "refund us", "discount wasn't",
            "discount was not", "discount not applied", "missing discount", "still being charged", "still charging",
            "charged again", "keep charging", "closed our account", "ended our subscription", "downtime", "was down",
            "beschadigt", "defekt", "kaputt", "mangelhaft", "fehlt", "fehlen", "unvollstandig", "zuruckgeschickt",
            "zuruckgesendet", "retourniert", "retoure", "rabatt", "nicht berucksichtigt", "nicht abgezogen", "abbestellt",
            "ausfall", "nicht erreichbar",
            "endommage*", "abime*", "casse*", "defectueu*", "pas recu", "pas ete livre*", "manquant*", "avons retourne", "avons renvoye", "marchandise retournee",
            "non deduit", "panne", "indisponible",
            "danad*", "roto", "rota", "defectuos*", "en mal estado", "no ha llegado", "nunca llego", "no llego", "no recibimos",
            "faltan", "devolvimos", "devuelto", "devolucion", "descuento", "no aplicado", "no se aplico", "abono", "lo pactado",
            "rescindimos", "dimos de baja", "dado de baja", "dada de baja", "no funcionaba", "caida del servicio",
            // German
            "widersprech*", "widerspruch", "widerspreche*", "bestreit*", "beanstand*", "reklamation", "reklamier*", "einspruch",
            "falsch", "fehlerhaft", "nicht korrekt", "nicht richtig", "stimmt nicht", "zu viel berechnet", "zu hoch",
            "doppelt berechnet", "doppelt abgebucht", "doppelt belastet", "gekundigt", "nicht bestellt", "nie bestellt",
            "niemals bestellt", "gutschrift", "nicht einverstanden", "schulden … nicht", "nicht geliefert", "nicht erbracht",
            "nie stattgefunden", "nicht stattgefunden", "zahlen wir nicht", "bezahlen wir nicht",
            "herabgestuft", "nicht vereinbart",
            // French
            "conteste*", "contestation", "litige", "erreur", "errone*", "incorrecte", "pas correct*", "n'est pas correct*",
            "pas d'accord", "jamais commande", "jamais signe", "resilie*", "resiliation", "factur* deux fois", "factur* en double",
            "preleve* deux fois", "en double", "trop factur*", "trop percu", "ne correspond pas", "ne devons rien",
            "ne devons pas", "avoir promis", "pas recu le service", "jamais livre", "jamais recu", "seulement … licences",
            "seulement … utilisateurs", "reduit …", "pas ce qui etait convenu",
            // Spanish
            "disputa*", "impugn*", "reclamacion", "reclamamos", "reclamo", "no estamos de acuerdo", "no reconocemos",
            "cobrado dos veces", "cobro duplicado", "cobrado de mas", "cobraron de mas", "factura duplicada", "cancelamos",
            "nunca pedimos", "nunca contratamos", "nunca firmamos", "no corresponde", "nota de credito", "no debemos",
            "incorrecta", "incorrecto", "equivocad*", "solo tenemos", "solo usamos", "reducimos", "no es lo acordado", "no se entrego", "nunca recibimos el servicio",
        ], weak: [
            "wrong", "mistake", "error", "refund*", "credit note", "credit memo", "outage", "service was down", "discount",
            "promo*", "price increase", "why am i being charged", "why are we being charged", "why were we charged",
            "why was i charged", "what is this charge", "we were told", "i was told", "was promised", "not ours", "seats",
            "invoice says", "invoice shows", "invoice lists", "approved for", "confirm the amount", "fraud", "why is this",
            "usual amount", "invoiced for the", "should have been", "supposed to be", "sollte … sein", "devrait etre",
            "deberia ser", "reissue", "re-issue", "agreement", "quote", "vertrag", "angebot", "contrat", "devis", "contrato",
            "presupuesto", "alors que", "facture mentionne", "bon signe", "the contract", "section",
            "price increase*",
            "licenses", "licences", "cancel*", "storn*", "annule*", "cancelad*", "vereinbart", "convenu", "lo acordado", "nur noch",
        ]),
        Entry(replyClass: .optOut, strong: [
            "unsubscribe*", "unsub", "opt out", "opt-out", "optout", "opting out", "remove me", "remove us", "remove my number",
            "remove my email", "take me off", "take us off", "stop sending", "stop texting", "stop emailing", "stop messaging",
            "stop contacting", "stop calling", "stop these", "stop the messages", "stop the texts", "stop the emails",
            "stop the reminders", "stop all", "no more texts", "no more emails", "no more messages", "no more sms",
            "no more reminders", "don't text", "do not text", "don't contact", "do not contact", "don't email", "do not email",
            "don't send me", "do not send me", "don't message", "do not message", "never text", "never contact",
            "stop … text", "stop … sms", "stop … messages", "stop … emails", "stop … reminders", "quit texting", "quit sending",
            "quit emailing", "quit messaging", "turn off … reminders", "turn off … notifications", "disable … reminders",
            "opt me out", "no longer want these", "don't want these", "do not want these", "keine weiteren",
            "nicht mehr erhalten", "supprimer mon numero", "supprimez mon numero", "borren mi numero", "eliminen mi numero",
            "mailing list", "remove this address", "remove this email", "remove … from your list", "ne plus m'envoyer",
            "ne plus envoyer", "plus m'envoyer",
            // German
            "abmelden", "abmeldung", "abbestellen", "austragen", "keine sms mehr", "keine nachrichten mehr", "keine e-mails mehr",
            "keine emails mehr", "keine mails mehr", "keine erinnerungen mehr", "nicht mehr kontaktieren", "nicht mehr anschreiben",
            "nicht mehr schreiben", "stopp", "hort auf", "horen sie auf", "aus … verteiler", "verteiler austragen",
            // French
            "desabonn*", "desinscri*", "arretez", "arreter d'envoyer", "arretez d'envoyer",
            "ne plus recevoir", "plus de sms", "plus de messages", "plus de mails", "plus d'emails", "retirez-moi", "retirez moi",
            "ne m'envoyez plus", "ne plus me contacter",
            // Spanish
            "darme de baja", "denme de baja", "dame de baja", "me den de baja", "no me envien", "no me manden", "no me escriban",
            "no me contacten", "dejen de envi*", "dejen de mand*", "dejen de escribir", "deja de envi*", "no quiero recibir", "no mas mensajes",
            "no mas sms", "no mas correos", "cancelar suscripcion",
        ], weak: []),
        Entry(replyClass: .frustration, strong: [
            "harass*", "ridiculous", "unacceptable", "outrageous", "absurd", "insane", "fed up", "sick of", "sick and tired",
            "tired of", "spam", "spamming", "how many times", "stop bothering", "stop hounding", "hounding", "pestering",
            "annoying", "annoyed", "frustrat*", "furious", "angry", "upset", "disappoint*", "disgust*", "terrible", "awful",
            "worst", "appalling", "disgrace*", "shameful", "insult*", "rude", "aggressive", "threatening", "bullying",
            "take our business elsewhere", "take my business elsewhere", "find another vendor", "find another provider",
            "switch to another", "switching vendors", "switching to", "looking at alternatives", "reconsider*", "rethink*",
            "cancel our account", "cancel our contract", "cancel our subscription", "end our relationship", "leave you",
            "leaving you", "how you treat", "this is how you treat", "treat loyal", "loyal customer*", "customers for",
            "been with you for", "speak to a manager", "talk to a manager", "speak to your manager", "talk to my account manager",
            "talk to our account manager", "speak with my account manager", "escalate this", "escalating this", "lawyer*",
            "attorney", "legal action", "third email", "fourth email", "fifth email", "third reminder", "fourth reminder",
            "every day", "every single day", "constant*", "nonstop", "non-stop", "relentless", "wtf", "seriously?",
            "give me a break", "are you kidding", "you people", "do you even", "enough is enough", "last straw",
            "excessive", "too many emails", "too many reminders", "too many messages", "too many texts", "too many calls", "i'm done with",
            "cancelling our", "canceling our", "speak to my account manager",
            "talk to a human", "not a bot", "one more reminder", "send one more", "chasing us", "chasing me", "incredibly patient",
            "been patient", "cancelling at renewal", "canceling at renewal", "long-standing customer*", "treats long-standing",
            "embarrassing", "up the wall", "nag*", "unbelievable", "deadbeat", "daily emails", "not how you treat",
            "speak with whoever", "not cool", "threaten*", "don't threaten", "asked three times", "an actual person",
            "a real person", "not okay", "not ok", "on hold for", "unprofessional", "disrespectful", "pushy",
            "unprofessionell", "respektlos", "es reicht", "irrespectueu*", "agressif", "insistant*", "poco profesional",
            "agresivo*", "que pesados", "regret renewing", "regret signing", "regret choosing",
            // German
            "unverschamt", "frech", "belastig*", "nervig", "genervt", "nervt", "inakzeptabel", "lacherlich", "zum x-ten mal",
            "standig", "unmoglich", "frechheit", "zumutung", "argerlich", "verargert", "enttauscht", "anwalt",
            "dritte mahnung", "vierte mahnung", "so geht man nicht", "langjahrig*", "unglaublich", "uberlegen … zu kundigen",
            // French
            "inadmissible", "inacceptable", "harcelement", "harcele*", "ras le bol", "marre", "ridicule", "scandaleux",
            "honteux", "agace*", "decu*", "avocat", "insupportable*", "je veux parler", "troisieme relance", "deuxieme relance",
            "clients depuis", "ce ton",
            // Spanish
            "inaceptable", "acoso", "acosando", "harto", "hartos", "harta", "ridiculo", "verguenza", "indignante", "molesto",
            "molestos", "abogado", "decepcionad*", "asi no se trata", "tres correos", "cuatro correos", "cliente de hace",
            "falta de respeto", "llevamos anos", "me tratan como", "nos tratan como", "moroso*",
            "quiero hablar con", "ya basta",
        ], weak: ["yet another", "three times", "four times", "otra vez", "every week", "keep sending", "keep getting", "schon wieder", "encore"]),
        Entry(replyClass: .alreadyPaid, strong: [
            "already paid", "already been paid", "already sent", "already settled", "already processed", "already transferred",
            "already wired", "already made", "paid this", "paid it", "paid that", "paid on", "paid last", "paid yesterday",
            "paid today", "paid this morning", "paid in full", "paid … ago", "we paid", "i paid", "we've paid", "i've paid",
            "have paid", "has paid", "has been paid", "have been paid", "was paid", "were paid", "been paid", "is paid",
            "payment was made", "payment was sent", "payment was processed", "payment was submitted", "payment went out",
            "payment has been sent", "payment has been made", "payment has been processed", "payment has been submitted",
            "payment has been completed", "payment has been transferred", "payment has been wired", "payments have been made", "payment is complete*", "sent the payment", "sent payment", "sent a payment",
            "sent the money", "sent the funds", "submitted payment", "submitted the payment", "made the payment",
            "made a payment", "made payment", "processed the payment", "processed payment", "wire sent", "wire went out",
            "sent the wire", "sent a wire", "sent wire", "wired", "wire was", "transfer was", "transferred", "ach was sent", "remitted", "paid via", "paid through", "paid online", "just paid", "payments crossed",
            "went through", "deja ete paye*", "deja ete regle*", "was settled", "been settled", "settled on", "cheque went out",
            "check went out", "cashed", "trace number", "bank confirms", "cheque mailed", "check mailed", "bereits … veranlasst",
            "veranlasst", "wurde bereits", "bereits erledigt", "schon erledigt", "uberweisung vom", "el pago se hizo",
            "se hizo el pago", "numero de autorizacion", "cheque envoye", "cheque a ete envoye", "hicimos el pago", "abonamos",
            "ingresamos", "ya se abono", "wir haben … uberwiesen", "ist … eingegangen",
            "ach went", "sent via ach", "check was mailed", "check was sent", "mailed a check", "mailed the check",
            "sent a check", "sent the check", "cheque was", "sent a cheque", "posted a cheque", "remittance attached",
            "remittance advice attached", "attached remittance", "remittance is attached", "attached the remittance", "proof of payment",
            "confirmation number", "transaction id", "payment reference", "it cleared", "has cleared", "should have cleared",
            "shows as paid", "bank shows", "on our statement", "left our account", "debited", "initiated",
            // German
            "bereits bezahlt", "schon bezahlt", "bereits uberwiesen", "schon uberwiesen", "haben bezahlt", "habe bezahlt",
            "haben uberwiesen", "habe uberwiesen", "wurde bezahlt", "wurde uberwiesen", "ist bezahlt", "ist uberwiesen",
            "beglichen", "zahlung ist raus", "zahlung ist erfolgt", "zahlung erfolgte", "zahlungsnachweis", "abgebucht",
            "schon … uberwiesen", "bereits … uberwiesen", "schon … bezahlt", "bereits … bezahlt", "haben … uberwiesen",
            // French
            "deja paye*", "deja regle*", "deja effectue*", "avons paye", "avons regle", "ai paye", "ai regle", "est payee",
            "est reglee", "a ete payee", "a ete reglee", "a ete paye", "a ete regle", "virement effectue", "virement a ete",
            "paiement effectue", "paiement a ete", "avons effectue le virement", "avons vire", "preuve de paiement",
            // Spanish
            "ya pagamos", "ya lo pagamos", "ya la pagamos", "ya pague", "ya se pago", "ya esta pagad*", "ya fue pagad*",
            "ya realizamos", "ya hicimos", "ya transferimos", "ya se hizo", "transferencia realizada", "hicimos la transferencia",
            "realizamos la transferencia", "realizamos el pago", "pago realizado", "pago fue", "fue pagad*", "esta pagad*",
            "comprobante de pago", "justificante",
        ], weak: ["paid", "sent", "bezahlt", "paye", "pagado", "pagada", "on its way", "in the mail", "receipt", "remittance"]),
        Entry(replyClass: .promiseToPay, strong: [
            "will pay", "we'll pay", "i'll pay", "will be paid", "will be paying", "will get paid", "will get this paid",
            "will get it paid", "get this paid", "get it paid", "going to pay", "gonna pay", "plan to pay", "planning to pay",
            "intend to pay", "expect to pay", "aim to pay", "hope to pay", "can pay", "could pay", "able to pay",
            "will make the payment", "will make payment", "will make a payment", "payment will", "payment should",
            "payment is scheduled", "payment scheduled", "scheduled the payment", "scheduled payment", "scheduled for",
            "will send", "we'll send", "i'll send", "will process", "will be processed", "will go out", "goes out",
            "will transfer", "will wire", "will remit", "will settle", "will clear", "will release", "will be released",
            "will be sent", "will be settled", "will be transferred", "will be wired", "will be issued", "will issue",
            "pay by", "pay on", "paying on", "paying by", "paying it", "pay it", "pay this", "pay that", "pay the balance",
            "pay next", "pay in full on", "paying late", "pay late", "payment run", "check run", "ap run", "pay run", "next run", "next cycle",
            "you'll have it", "you will have it", "you'll have payment", "you will have payment", "you'll receive",
            "you will receive", "you should receive", "expect payment", "expect it", "expect the payment", "promise",
            "will be taken care", "will take care", "take care of it", "take care of this", "sort it", "sort this",
            "have it paid", "have this paid", "we'll settle", "i'll settle", "ill pay", "im going to pay", "you'll be in",
            "you will be in", "ap runs", "at the latest", "clear the balance", "'ll clear", "will clear the",
            "spatestens", "au plus tard", "a mas tardar", "send it then", "definitely on", "for sure on",
            // German
            "wir zahlen", "ich zahle", "zahlen wir", "werden … zahlen", "werden … bezahlen", "werden … uberweisen",
            "werde … zahlen", "werde … bezahlen", "werde … uberweisen", "wird … bezahlt", "wird … uberwiesen",
            "wird … beglichen", "werden … begleichen", "uberweisen wir", "wir uberweisen", "zahlung erfolgt",
            "zahlung folgt", "zahlung kommt", "uberweisung erfolgt", "uberweisung folgt", "uberweisung kommt",
            "geht … raus", "bezahlen wir", "begleichen wir",
            // French
            "paierons", "paierai", "allons payer", "vais payer", "allons regler", "vais regler", "reglerons", "reglerai",
            "sera paye*", "sera regle*", "sera effectue*", "virement sera", "paiement sera", "effectuerons", "effectuerai",
            "ferons le virement", "ferai le virement", "ferons le paiement", "virerons", "allons virer", "procederons",
            // Spanish
            "pagaremos", "pagare", "vamos a pagar", "voy a pagar", "se pagara", "sera pagad*", "realizaremos", "realizare",
            "haremos el pago", "haremos la transferencia", "hare el pago", "hare la transferencia", "transferiremos",
            "transferire", "pago saldra", "saldra el pago", "abonaremos", "liquidaremos", "vamos a transferir",
        ], weak: ["pay*", "zahlen", "zahlung", "payer", "paiement", "pagar", "pago", "soon", "shortly", "asap"]),
        Entry(replyClass: .paymentPlanRequest, strong: [
            "installment*", "instalment*", "payment plan", "payment schedule", "payment arrangement", "split the",
            "split it", "split this", "split into", "split payment*", "in parts", "in two parts", "partial payments",
            "pay part", "part now", "half now", "some now", "two payments", "three payments", "four payments", "2 payments",
            "3 payments", "4 payments", "monthly payments", "weekly payments", "smaller payments", "spread the", "spread it",
            "spread out", "extension", "extend the", "more time", "additional time", "extra time", "defer", "postpone",
            "push the due date", "move the due date", "pay over", "over … months", "can't pay the full", "cannot pay the full",
            "can't pay it all", "cannot pay it all", "can't pay in full", "cannot pay in full", "unable to pay in full",
            "can't pay all", "not able to pay the full", "net 60", "net 90", "payment terms", "payment plan*", "extend*",
            "per month", "a month until", "month until", "monthly billing", "pay monthly", "pay quarterly", "two halves",
            "in halves", "net 45", "break it into", "smaller chunks", "chunks", "deferral", "defer*", "another … weeks",
            "few more weeks", "more weeks", "monatlich", "mas de plazo", "semanas mas",
            // German
            "ratenzahlung", "raten", "in raten", "teilzahlung*", "stundung", "aufschub", "zahlungsaufschub",
            "zahlungsplan", "aufteilen", "mehr zeit", "fristverlangerung", "teilbetrag*", "halfte jetzt", "die halfte",
            // French
            "echeancier", "en plusieurs fois", "plusieurs versements", "paiement echelonne", "paiements echelonnes",
            "echelonner", "etaler", "delai supplementaire", "plus de temps", "reporter", "en deux fois", "en trois fois",
            // Spanish
            "cuotas", "plazos", "a plazos", "fraccionar", "fraccionado", "aplazar", "aplazamiento", "prorroga", "mas tiempo",
            "plan de pagos", "dividir el pago", "ampliar el plazo", "ampliar",
        ], weak: ["cash flow", "tight", "budget", "afford", "hardship", "difficult month", "struggling"]),
        Entry(replyClass: .question, strong: [
            "could you", "can you", "would you", "could we get", "can we get", "can i get", "could i get", "please send",
            "please resend", "resend", "re-send", "send again", "send me", "send us", "copy of", "a copy", "send the invoice",
            "need the invoice", "po number", "purchase order", "p.o", "po #", "need a po", "w-9", "w9", "tax form", "vat number",
            "tax id", "bank details", "bank account", "banking details", "routing number", "account number", "iban", "swift",
            "remit to", "which account", "how do i", "how can i", "how do we", "how can we", "how to", "where do i",
            "where can i", "where do we", "what is the", "what's the", "what is this for", "what's this for", "which invoice",
            "what invoice", "update my card", "update the card", "update our card", "change the card", "change my card",
            "new card", "payment link", "portal", "login", "log in", "invoice number", "who should", "who do i",
            "is it possible", "do you accept", "can we pay by", "can i pay by", "pay by card", "pay by ach", "pay by wire",
            "billing address", "billing contact", "add … to", "cc", "send it to", "send them to", "address it to",
            "question", "clarify", "clarification", "explain", "breakdown", "please also copy", "also copy", "please copy",
            "haven't received the invoice", "didn't receive the invoice", "never received the invoice", "did not receive the invoice",
            // German
            "konnen sie", "konnten sie", "bitte senden", "bitte schicken", "rechnungskopie", "kopie", "bankverbindung",
            "wie kann", "wie konnen", "bestellnummer", "frage",
            // French
            "pouvez-vous", "pouvez vous", "pourriez-vous", "pourriez vous", "copie", "rib", "coordonnees bancaires", "comment",
            "question",
            // Spanish
            "pueden", "podrian", "podria", "copia", "datos bancarios", "como puedo", "como podemos", "pregunta",
        ], weak: ["?", "what", "why", "how", "when", "which", "where", "who", "link", "details"]),
        Entry(replyClass: .acknowledgement, strong: [
            "thanks", "thank you", "thx", "ty", "got it", "received", "noted", "ok", "okay", "k", "will forward",
            "forwarded", "forwarding", "passed this", "passed it", "pass this", "pass it", "looking into it", "look into it",
            "will look into", "will check", "checking", "will review", "reviewing", "acknowledged", "understood",
            "sounds good", "appreciate*", "will do", "on it", "confirm receipt", "confirmed receipt", "duly noted", "all good",
            "perfect", "great", "logged",
            // German
            "danke", "dankeschon", "erhalten", "verstanden", "alles klar", "geht klar", "weitergeleitet", "leite … weiter",
            // French
            "merci", "bien recu", "bien note", "c'est note", "compris", "d'accord", "transmis",
            // Spanish
            "gracias", "recibido", "entendido", "de acuerdo", "perfecto", "reenviado",
        ], weak: []),
        Entry(replyClass: .outOfOffice, strong: [
            "out of office", "out of the office", "ooo", "away from the office", "away from my desk", "on vacation",
            "on holiday", "on leave", "annual leave", "parental leave", "maternity leave", "paternity leave", "sick leave",
            "limited access", "automatic reply", "auto reply", "auto-reply", "autoreply", "automated response",
            "automatic response", "this is an automated", "will return", "i will be back", "i'll be back", "returning on",
            "back in the office", "i'll be back on", "i will be back on", "this mailbox is not monitored", "not monitored", "no longer monitored", "no longer with",
            "no longer works", "no longer employed", "in my absence", "during my absence", "currently away", "currently out",
            "when i return", "will respond when", "limited connectivity", "travelling", "traveling", "do not disturb",
            "while driving", "i'm driving", "off until", "office is closed", "offices are closed", "when we reopen",
            "will respond to your message",
            // German
            "abwesend", "abwesenheit", "nicht im buro", "ausser haus", "urlaub", "automatische antwort", "in dringenden fallen",
            "bin ab", "wieder erreichbar", "elternzeit",
            // French
            "absent", "absente", "absence", "conges", "reponse automatique", "de retour le", "en cas d'urgence",
            // Spanish
            "fuera de la oficina", "vacaciones", "respuesta automatica", "ausente", "de regreso", "estare de vuelta",
            "no se supervisa", "message automatique", "plus consultee",
        ], weak: []),
    ]

    /// Whole SMS replies that opt out (the carriers' keywords and their translations).
    static let smsKeywords: Set<String> = [
        "stop", "stop all", "stopall", "stop please", "please stop", "stop it", "unsubscribe", "cancel", "end", "quit",
        "opt out", "optout", "revoke", "stopp", "arret", "stop svp", "arret svp", "arret stp", "stop stp", "baja", "alto", "parar",
        "halt", "ende",
    ]

    /// Whole replies on any channel that opt out.
    static let anyChannelKeywords: Set<String> = ["stop", "stop all", "stop please", "please stop", "unsubscribe", "stopp", "arret", "baja", "opt out", "optout"]

    /// Signs of an out-of-office note: its thanks and its "contact ..." are no acknowledgement or
    /// question. (`automatedMarkers` are such signs too, and stronger.)
    static let autoReplyMarkers: [String] = [
        "out of office", "out of the office", "nicht im buro", "fuera de la oficina", "je suis absent", "je suis absente",
        "bin … nicht im buro", "estoy fuera",
    ]

    /// Replies written by machines, not people: out of office wins outright over anything short of
    /// a dispute or an opt-out ("I'll pay attention to your message when I'm back" promises nothing).
    static let automatedMarkers: [String] = [
        "automatic reply", "auto reply", "auto-reply", "autoreply", "automated response", "automatic response",
        "this is an automated", "not monitored", "no longer monitored", "automatische antwort", "abwesenheitsnotiz",
        "reponse automatique", "respuesta automatica", "message automatique", "no se supervisa", "plus consultee",
        "do not disturb while driving",
    ]

    /// Phrases that take a class's cues out of their clause: "wrong number" says nothing about the
    /// invoice, "when I get paid on Friday" is no payment made, "pay it over two months" asks for a plan.
    static let neutralizers: [ReplyClass: [String]] = [
        .dispute: ["wrong person", "wrong number", "wrong contact", "wrong email", "wrong address", "wrong department",
                   "wrong chat", "wrong thread", "disputing how", "disputing the way", "not a dispute", "no dispute", "no es una disputa", "no es ninguna disputa",
                   "ce n'est pas une contestation", "keine beanstandung", "kein widerspruch"],
        .alreadyPaid: ["get paid", "gets paid", "getting paid", "got paid", "we're paid", "we are paid", "i'm paid",
                       "get this paid", "get it paid", "bis … beglichen"],
        .promiseToPay: ["pay attention", "pay it over", "pay over", "over two months", "over three months", "in installments",
                        "in instalments", "in two payments", "in three payments", "two halves", "in halves", "half now",
                        "smaller chunks", "before paying", "before we pay", "before i pay"],
    ]

    /// Word beginnings that name paying: with a date and no question, they make a promise.
    static let paymentStems: [String] = [
        "pay", "paid", "settle", "remit", "wire", "transfer", "zahl", "bezahl", "uberweis", "begleich", "pai", "regl", "regle",
        "vir", "pag", "liquid", "transfier",
    ]

    /// Word beginnings that name what was billed. A reply about the bill that matches no cue is
    /// treated as a possible dispute (and goes to a person), never as nothing.
    static let chargeStems: [String] = [
        "invoice", "bill", "charg", "balance", "amount", "fee", "credit", "price", "rechnung", "betrag", "gebuhr", "posten",
        "preis", "gutschrift", "factur", "montant", "prix", "frais", "solde", "avoir", "cobr", "importe", "cargo", "precio",
        "saldo", "cuota",
    ]

    /// Words that turn the cue right after them around.
    static let negators: Set<String> = [
        "not", "don't", "dont", "doesn't", "doesnt", "didn't", "didnt", "isn't", "isnt", "aren't", "arent", "wasn't",
        "wasnt", "weren't", "won't", "wont", "haven't", "havent", "hasn't", "hasnt", "never", "no", "nor", "cannot",
        "can't", "cant", "nicht", "kein", "keine", "keinen", "ne", "n'", "pas", "jamais", "nunca", "jamas", "without",
    ]

    /// Words that start a new clause, ending a negation's reach ("not disputing, but ...").
    static let clauseBreaks: Set<String> = ["but", "however", "aber", "sondern", "mais", "pero", "sino", "though", "although"]

    /// Words for channels a customer may name when opting out.
    static let channelWords: [String: ReplyChannel] = [
        "sms": .sms, "text": .sms, "texts": .sms, "texting": .sms, "textes": .sms, "txt": .sms, "mensajes": .sms,
        "email": .email, "emails": .email, "e-mail": .email, "e-mails": .email, "mail": .email, "mails": .email,
        "emailing": .email, "correos": .email, "courriels": .email, "correo": .email,
        "app": .inApp, "notifications": .inApp, "in-app": .inApp,
    ]
}
