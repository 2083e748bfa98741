
-------------------------------------------------------------------------------
-- Default templates, in English, French and German, for letters and emails.
--
-- A level uses the template named in level.template, else 'final' for a
-- final level, else 'level_1', 'level_2' or 'level_3' (levels above 3).
-- The context of a reminder is described in README ("Templates").  Users
-- add or override templates with rows of their own (shipped = false);
-- a user row of the same key, language and channel replaces a shipped one
-- by UPDATE (which makes it the user's: shipped is set false).
-------------------------------------------------------------------------------

INSERT INTO @extschema@.template (key, language, channel, subject, body, shipped) VALUES
('level_1', 'en', 'letter', 'Reminder: overdue items on your account',
$t$Dear {{customer.name}},

According to our records, the following items were still unpaid on {{reminder.date|date}}:

{{^pdf}}{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
This may be an oversight. If your payment has crossed this letter, please disregard it; otherwise we would be grateful if you would settle the amount at your earliest convenience.

Yours sincerely,
{{manager.name}}
$t$, true),
('level_2', 'en', 'letter', 'Second reminder: overdue items on your account',
$t$Dear {{customer.name}},

Despite our reminder, the following items were still unpaid on {{reminder.date|date}}:

{{^pdf}}{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Please pay this amount within 10 days, or contact us if you disagree with any item.

Yours sincerely,
{{manager.name}}
$t$, true),
('level_3', 'en', 'letter', 'Third reminder: payment required',
$t$Dear {{customer.name}},

We have reminded you twice of the following items, which were still unpaid on {{reminder.date|date}}:

{{^pdf}}{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Unless we receive your payment within 8 days, we will take further steps to recover the debt.

Yours sincerely,
{{manager.name}}
$t$, true),
('final', 'en', 'letter', 'Formal notice to pay',
$t$Dear {{customer.name}},

FORMAL NOTICE

Our previous reminders have remained without effect. We hereby give you formal notice to pay, within 8 days of this letter, the following items, unpaid on {{reminder.date|date}}:

{{^pdf}}{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Fees: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Failing payment within this time, we will refer the matter for legal recovery without further notice, at your expense.

{{manager.name}}
$t$, true),
('level_1', 'en', 'email', 'Reminder: {{reminder.total|money}} {{reminder.currency}} overdue',
$t$Dear {{customer.name}},

Our records show {{reminder.total_overdue|money}} {{reminder.currency}} overdue on your account on {{reminder.date|date}}:

{{#items}}- {{ref}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Total to pay: {{reminder.total|money}} {{reminder.currency}}

If you have already paid, please ignore this message. Otherwise, thank you for settling it soon.

{{manager.name}}
$t$, true),
('level_2', 'en', 'email', 'Second reminder: {{reminder.total|money}} {{reminder.currency}} overdue',
$t$Dear {{customer.name}},

Despite our reminder, {{reminder.total_overdue|money}} {{reminder.currency}} was still overdue on your account on {{reminder.date|date}}:

{{#items}}- {{ref}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days)
{{/items}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Total to pay: {{reminder.total|money}} {{reminder.currency}}

Please pay within 10 days, or reply to this message if you disagree with an item.

{{manager.name}}
$t$, true),
('level_3', 'en', 'email', 'Third reminder: payment required',
$t$Dear {{customer.name}},

We have reminded you twice; {{reminder.total_overdue|money}} {{reminder.currency}} was still overdue on {{reminder.date|date}}:

{{#items}}- {{ref}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days)
{{/items}}
Total to pay: {{reminder.total|money}} {{reminder.currency}}

Unless we receive your payment within 8 days, we will take further steps.

{{manager.name}}
$t$, true),
('final', 'en', 'email', 'Formal notice to pay',
$t$Dear {{customer.name}},

Our reminders have remained without effect. We give you formal notice to pay {{reminder.total|money}} {{reminder.currency}} within 8 days:

{{#items}}- {{ref}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days)
{{/items}}
Failing payment, the matter will be referred for legal recovery without further notice.

{{manager.name}}
$t$, true),
('level_1', 'fr', 'letter', 'Relance : factures échues',
$t$Madame, Monsieur,

Sauf erreur de notre part, les pièces suivantes restaient impayées au {{reminder.date|date}} :

{{^pdf}}{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}}
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Il s'agit sans doute d'un oubli. Si votre règlement a croisé ce courrier, nous vous prions de ne pas en tenir compte ; dans le cas contraire, nous vous remercions de bien vouloir procéder au paiement dans les meilleurs délais.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$, true),
('level_2', 'fr', 'letter', 'Deuxième relance : factures échues',
$t$Madame, Monsieur,

Malgré notre précédente relance, les pièces suivantes restaient impayées au {{reminder.date|date}} :

{{^pdf}}{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Nous vous prions de régler ce montant sous 10 jours, ou de nous contacter si une pièce vous semble contestable.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$, true),
('level_3', 'fr', 'letter', 'Troisième relance : règlement exigé',
$t$Madame, Monsieur,

Nous vous avons relancé à deux reprises pour les pièces suivantes, toujours impayées au {{reminder.date|date}} :

{{^pdf}}{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Sans règlement sous 8 jours, nous engagerons les démarches nécessaires au recouvrement de notre créance.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$, true),
('final', 'fr', 'letter', 'Mise en demeure de payer',
$t$Madame, Monsieur,

MISE EN DEMEURE

Nos relances successives étant restées sans effet, nous vous mettons en demeure de régler, dans un délai de 8 jours à compter de la présente, les pièces suivantes, impayées au {{reminder.date|date}} :

{{^pdf}}{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
À défaut de paiement dans ce délai, nous transmettrons le dossier pour recouvrement judiciaire, sans autre avis et à vos frais.

{{manager.name}}
$t$, true),
('level_1', 'fr', 'email', 'Relance : {{reminder.total|money}} {{reminder.currency}} échus',
$t$Madame, Monsieur,

Sauf erreur de notre part, {{reminder.total_overdue|money}} {{reminder.currency}} restaient échus sur votre compte au {{reminder.date|date}} :

{{#items}}- {{ref}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}}
{{/items}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Total à régler : {{reminder.total|money}} {{reminder.currency}}

Si vous avez déjà réglé, merci de ne pas tenir compte de ce message.

{{manager.name}}
$t$, true),
('level_2', 'fr', 'email', 'Deuxième relance : {{reminder.total|money}} {{reminder.currency}} échus',
$t$Madame, Monsieur,

Malgré notre relance, {{reminder.total_overdue|money}} {{reminder.currency}} restaient échus au {{reminder.date|date}} :

{{#items}}- {{ref}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours)
{{/items}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Total à régler : {{reminder.total|money}} {{reminder.currency}}

Merci de régler sous 10 jours, ou de nous répondre si une pièce vous semble contestable.

{{manager.name}}
$t$, true),
('level_3', 'fr', 'email', 'Troisième relance : règlement exigé',
$t$Madame, Monsieur,

Nous vous avons relancé à deux reprises ; {{reminder.total_overdue|money}} {{reminder.currency}} restaient échus au {{reminder.date|date}} :

{{#items}}- {{ref}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours)
{{/items}}
Total à régler : {{reminder.total|money}} {{reminder.currency}}

Sans règlement sous 8 jours, nous engagerons les démarches de recouvrement.

{{manager.name}}
$t$, true),
('final', 'fr', 'email', 'Mise en demeure de payer',
$t$Madame, Monsieur,

Nos relances étant restées sans effet, nous vous mettons en demeure de régler {{reminder.total|money}} {{reminder.currency}} sous 8 jours :

{{#items}}- {{ref}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours)
{{/items}}
À défaut, le dossier sera transmis pour recouvrement judiciaire sans autre avis.

{{manager.name}}
$t$, true),
('payment_plan', 'en', 'email', 'Your payment plan of {{plan.agreed_on|date}}',
$t$Dear {{customer.name}},

As agreed on {{plan.agreed_on|date}}, you will pay {{plan.total|money}} {{plan.currency}} in {{plan.installments}} installments:

{{#installments}}- {{due_on|date}}: {{amount|money}} {{plan.currency}}
{{/installments}}
{{#plan.note}}Note: {{plan.note}}
{{/plan.note}}
While the installments are paid on time, we will send no reminder for these items. A missed installment ends the plan.

{{manager.name}}
$t$, true),
('payment_plan', 'fr', 'email', 'Votre échéancier de paiement du {{plan.agreed_on|date}}',
$t$Madame, Monsieur,

Comme convenu le {{plan.agreed_on|date}}, vous réglerez {{plan.total|money}} {{plan.currency}} en {{plan.installments}} échéances :

{{#installments}}- {{due_on|date}} : {{amount|money}} {{plan.currency}}
{{/installments}}
{{#plan.note}}Note : {{plan.note}}
{{/plan.note}}
Tant que les échéances sont respectées, nous ne vous adresserons aucune relance pour ces pièces. Une échéance manquée met fin à l'échéancier.

{{manager.name}}
$t$, true),
('level_1', 'de', 'letter', 'Zahlungserinnerung: offene Posten auf Ihrem Konto',
$t$Sehr geehrte Damen und Herren,

nach unseren Unterlagen waren am {{reminder.date|date}} folgende Posten noch offen:

{{^pdf}}{{#items}}  {{ref}} vom {{doc_date|date}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
Überfällig: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Verzugspauschale: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Sicher handelt es sich um ein Versehen. Sollte sich Ihre Zahlung mit diesem Schreiben gekreuzt haben, betrachten Sie es bitte als gegenstandslos; andernfalls bitten wir Sie, den Betrag umgehend zu begleichen.

Mit freundlichen Grüßen
{{manager.name}}
$t$, true),
('level_2', 'de', 'letter', 'Zweite Mahnung: offene Posten auf Ihrem Konto',
$t$Sehr geehrte Damen und Herren,

trotz unserer Erinnerung waren am {{reminder.date|date}} folgende Posten noch offen:

{{^pdf}}{{#items}}  {{ref}} vom {{doc_date|date}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage überfällig)
{{/items}}
Überfällig: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Verzugspauschale: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Bitte begleichen Sie den Betrag innerhalb von 10 Tagen, oder teilen Sie uns mit, wenn Sie einen Posten bestreiten.

Mit freundlichen Grüßen
{{manager.name}}
$t$, true),
('level_3', 'de', 'letter', 'Dritte Mahnung: Zahlung erforderlich',
$t$Sehr geehrte Damen und Herren,

wir haben Sie bereits zweimal an folgende Posten erinnert, die am {{reminder.date|date}} noch offen waren:

{{^pdf}}{{#items}}  {{ref}} vom {{doc_date|date}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage überfällig)
{{/items}}
Überfällig: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Verzugspauschale: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Geht Ihre Zahlung nicht innerhalb von 8 Tagen ein, werden wir weitere Schritte einleiten.

Mit freundlichen Grüßen
{{manager.name}}
$t$, true),
('final', 'de', 'letter', 'Letzte Mahnung vor Einleitung rechtlicher Schritte',
$t$Sehr geehrte Damen und Herren,

LETZTE MAHNUNG

Unsere Mahnungen sind ohne Erfolg geblieben. Wir fordern Sie hiermit auf, innerhalb von 8 Tagen nach Zugang dieses Schreibens folgende am {{reminder.date|date}} offene Posten zu bezahlen:

{{^pdf}}{{#items}}  {{ref}} vom {{doc_date|date}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage überfällig)
{{/items}}
Überfällig: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Verzugspauschale: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Nach fruchtlosem Ablauf dieser Frist übergeben wir die Forderung ohne weitere Ankündigung zur gerichtlichen Beitreibung; die Kosten gehen zu Ihren Lasten.

{{manager.name}}
$t$, true),
('level_1', 'de', 'email', 'Zahlungserinnerung: {{reminder.total|money}} {{reminder.currency}} überfällig',
$t$Sehr geehrte Damen und Herren,

am {{reminder.date|date}} waren auf Ihrem Konto {{reminder.total_overdue|money}} {{reminder.currency}} überfällig:

{{#items}}- {{ref}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}

Falls Sie bereits gezahlt haben, betrachten Sie diese Nachricht bitte als gegenstandslos. Andernfalls danken wir Ihnen für eine baldige Zahlung.

{{manager.name}}
$t$, true),
('level_2', 'de', 'email', 'Zweite Mahnung: {{reminder.total|money}} {{reminder.currency}} überfällig',
$t$Sehr geehrte Damen und Herren,

trotz unserer Erinnerung waren am {{reminder.date|date}} auf Ihrem Konto {{reminder.total_overdue|money}} {{reminder.currency}} überfällig:

{{#items}}- {{ref}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage)
{{/items}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}

Bitte zahlen Sie innerhalb von 10 Tagen, oder antworten Sie auf diese Nachricht, wenn Sie einen Posten bestreiten.

{{manager.name}}
$t$, true),
('level_3', 'de', 'email', 'Dritte Mahnung: Zahlung erforderlich',
$t$Sehr geehrte Damen und Herren,

wir haben Sie zweimal erinnert; am {{reminder.date|date}} waren noch {{reminder.total_overdue|money}} {{reminder.currency}} überfällig:

{{#items}}- {{ref}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage)
{{/items}}
Zu zahlen: {{reminder.total|money}} {{reminder.currency}}

Geht Ihre Zahlung nicht innerhalb von 8 Tagen ein, werden wir weitere Schritte einleiten.

{{manager.name}}
$t$, true),
('final', 'de', 'email', 'Letzte Mahnung',
$t$Sehr geehrte Damen und Herren,

unsere Mahnungen sind ohne Erfolg geblieben. Wir fordern Sie auf, {{reminder.total|money}} {{reminder.currency}} innerhalb von 8 Tagen zu zahlen:

{{#items}}- {{ref}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage)
{{/items}}
Nach fruchtlosem Fristablauf übergeben wir die Forderung ohne weitere Ankündigung zur gerichtlichen Beitreibung.

{{manager.name}}
$t$, true),
('payment_plan', 'de', 'email', 'Ihre Ratenzahlungsvereinbarung vom {{plan.agreed_on|date}}',
$t$Sehr geehrte Damen und Herren,

wie am {{plan.agreed_on|date}} vereinbart, zahlen Sie {{plan.total|money}} {{plan.currency}} in {{plan.installments}} Raten:

{{#installments}}- {{due_on|date}}: {{amount|money}} {{plan.currency}}
{{/installments}}
{{#plan.note}}Hinweis: {{plan.note}}
{{/plan.note}}
Solange die Raten pünktlich gezahlt werden, mahnen wir diese Posten nicht. Eine versäumte Rate beendet die Vereinbarung.

{{manager.name}}
$t$, true);
