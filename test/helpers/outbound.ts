// Bodies of the Dynamics model's requests, shared by its tests.

/** A template in three locales; `{CustomerName}` has a default in the text, none in the HTML's slug. */
export const template = (overrides: Record<string, unknown> = {}) => ({
  name: 'Case created',
  channel: 'email',
  defaultLocale: 'en',
  localizations: [
    { locale: 'en', subject: 'Case {CaseName} received', textBody: 'Hello {CustomerName|there}, we got {CaseName}.', htmlBody: '<p>Hello {FullName{Customer}}</p>' },
    { locale: 'fr', subject: 'Dossier {CaseName} reçu', textBody: 'Bonjour {CustomerName}' },
    { locale: 'fi-fi', subject: 'Palvelupyyntö {CaseName} vastaanotettu', textBody: 'Hei {CustomerName}' },
  ],
  ...overrides,
});

/** An outbound configuration sending `templateId` from the service's sender domain. */
export const configuration = (senderDomain: string, templateId: string, overrides: Record<string, unknown> = {}) => ({
  name: 'Case created',
  channelType: 'email',
  fromAddress: { email: `support@${senderDomain}`, name: 'Support' },
  templateId,
  showInTimeline: true,
  conversationRecord: 'onSend',
  ...overrides,
});

/** A contact as Dynamics 365 lists it, opted in. */
export const contact = (email: string, overrides: Record<string, unknown> = {}) => ({
  tocontactid: email,
  channelid: 'email',
  optin: true,
  locale: 'en-US',
  CustomerName: 'Pat Customer',
  CaseName: 'CAS-01001',
  ...overrides,
});
