import { ROLES } from '../../services/actor';

export const userSchema = {
  type: 'object',
  required: ['username', 'role', 'displayName', 'disabled', 'createdAt', 'updatedAt'],
  additionalProperties: false,
  properties: {
    username: { type: 'string' },
    role: { enum: [...ROLES] },
    displayName: { type: 'string' },
    disabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;
