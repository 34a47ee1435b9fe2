interface Rule {
  index: number;
  kind: 'allow' | 'deny';
  operations: string[];
  text: string;
}

/** The model's @@allow / @@deny rules as written. */
export function Rules({ rules }: { rules: Rule[] }) {
  return (
    <div className="rules" data-testid="rules">
      <h3>Rules</h3>
      <ol start={0}>
        {rules.map((r) => (
          <li key={r.index} className={r.kind}>
            <code>{r.text}</code>
          </li>
        ))}
      </ol>
    </div>
  );
}
