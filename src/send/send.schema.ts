import { z } from '@hono/zod-openapi';

// Genesys's AgentlessEmailSendRequestDto / AgentlessEmailSendResponseDto. The structural
// checks are here; the limits (lengths, sizes, header safety) are in send.validate.ts so that
// each refusal names its field and says what the limit is. The objects are strict: a field we do
// not know (a typo, or one of another API) is refused by name rather than dropped.

export const EmailAddressSchema = z
  .object({
    email: z.string().openapi({ example: 'customer@example.com' }),
    name: z.string().optional().openapi({ example: 'Pat Customer' }),
  })
  .strict()
  .openapi('EmailAddress');

export const AgentlessEmailSendRequestSchema = z
  .object({
    senderType: z.string().openapi({ example: 'Outbound', description: 'Only "Outbound" is accepted.' }),
    conversationId: z.string().optional().openapi({ description: 'Links this email into an existing conversation of the organization.' }),
    fromAddress: EmailAddressSchema,
    toAddresses: z.array(EmailAddressSchema).openapi({ description: 'Exactly one recipient.' }),
    replyToAddress: EmailAddressSchema.optional(),
    subject: z.string().optional().openapi({ description: 'At most 400 characters.' }),
    textBody: z.string().optional(),
    htmlBody: z.string().optional(),
    attachments: z.unknown().optional().openapi({ description: 'Not supported: a request carrying attachments is refused.' }),
    ccAddresses: z.unknown().optional().openapi({ description: 'Not supported: an agentless email has exactly one recipient.' }),
    bccAddresses: z.unknown().optional().openapi({ description: 'Not supported: an agentless email has exactly one recipient.' }),
  })
  .strict()
  .openapi('AgentlessEmailSendRequestDto');

export type AgentlessEmailSendRequest = z.infer<typeof AgentlessEmailSendRequestSchema>;

export const AgentlessEmailSendResponseSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    senderType: z.string(),
    fromAddress: EmailAddressSchema,
    toAddresses: z.array(EmailAddressSchema),
    replyToAddress: EmailAddressSchema.optional(),
    subject: z.string().optional(),
    dateCreated: z.string(),
    selfUri: z.string(),
  })
  .openapi('AgentlessEmailSendResponseDto');

export type AgentlessEmailSendResponse = z.infer<typeof AgentlessEmailSendResponseSchema>;
