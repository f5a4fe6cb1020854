import type { DeploymentDto } from "@berth/contracts";
import { formatRelative } from "@/lib/format";
import { Card, CardHeader } from "../ui/card";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";

/**
 * The deployment's secrets by name. The API never returns a value, so there is nothing to reveal:
 * the dots stand for a value that only the hosts running the instances receive.
 */
export function SecretsCard({ deployment: d }: { deployment: DeploymentDto }) {
  return (
    <Card>
      <CardHeader
        title="Secrets"
        description="Write-only environment variables: stored encrypted, handed only to the hosts that run the instances."
      />
      {d.secrets.length === 0 ? (
        <p className="px-5 py-4 text-sm text-muted-foreground">
          {d.isolation === "unikernel"
            ? "None: a unikernel's environment is its kernel command line, which the host's process list shows."
            : "None. Members add them with Update."}
        </p>
      ) : (
        <Table label={`Secrets of ${d.name}`}>
          <THead>
            <Tr>
              <Th>Name</Th>
              <Th>Value</Th>
              <Th>Set</Th>
            </Tr>
          </THead>
          <TBody>
            {d.secrets.map((s) => (
              <Tr key={s.name}>
                <Td className="font-mono">{s.name}</Td>
                <Td className="font-mono text-muted-foreground">
                  <span aria-hidden="true">••••••••</span>
                  <span className="sr-only">hidden</span>
                </Td>
                <Td className="text-muted-foreground">{formatRelative(s.updatedAt)}</Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
    </Card>
  );
}
