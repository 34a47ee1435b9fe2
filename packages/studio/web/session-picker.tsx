import type { StudioSession } from '../src/sessions.ts';

type Role = 'USER' | 'SUPPORT' | 'ADMIN';
const ROLES: Role[] = ['USER', 'SUPPORT', 'ADMIN'];

interface Props {
  users: { id: string; memberships: { clinicId: string; role: string }[] }[];
  value: StudioSession;
  onChange(next: StudioSession): void;
}

/** Anonymous, a bare role, or a real user (memberships loaded by the server as loadSession does). */
export function SessionPicker({ users, value, onChange }: Props) {
  const role: Role = value.kind === 'anonymous' ? 'USER' : value.role;
  const userId = value.kind === 'user' ? value.id : (users[0]?.id ?? '');
  return (
    <>
      <label>
        Session
        <select
          data-testid="session-kind"
          value={value.kind}
          onChange={(e) => {
            const kind = e.target.value as StudioSession['kind'];
            if (kind === 'anonymous') onChange({ kind });
            else if (kind === 'role') onChange({ kind, role });
            else if (userId) onChange({ kind, id: userId, role });
          }}
        >
          <option value="anonymous">anonymous</option>
          <option value="role">a role, no memberships</option>
          <option value="user" disabled={users.length === 0}>
            a real user
          </option>
        </select>
      </label>
      {value.kind !== 'anonymous' && (
        <label>
          Role
          <select
            data-testid="session-role"
            value={role}
            onChange={(e) => onChange({ ...value, role: e.target.value as Role })}
          >
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
      )}
      {value.kind === 'user' && (
        <label>
          User
          <select
            data-testid="session-user"
            value={value.id}
            onChange={(e) => onChange({ ...value, id: e.target.value })}
          >
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.id} · {u.memberships.map((m) => `${m.role} ${m.clinicId}`).join(', ')}
              </option>
            ))}
          </select>
        </label>
      )}
    </>
  );
}
