import {
  acceptInvitationInput,
  createdInvitationDto,
  invitationDto,
  inviteInput,
  memberDto,
  removeMemberInput,
  role,
  setRoleInput,
  tenantInput,
  uuid,
} from "@berth/contracts";
import { z } from "zod";
import {
  acceptInvitation,
  inviteMember,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
  setMemberRole,
} from "../services/members";
import { router, tenantProcedure, userProcedure } from "../trpc";

const tags = ["members"];
const ok = z.object({ ok: z.literal(true) });

export const membersRouter = router({
  list: tenantProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/members",
        tags,
        summary: "Members and their roles",
        protect: true,
      },
    })
    .input(tenantInput.strict())
    .output(z.array(memberDto))
    .query(({ ctx }) => listMembers({ scope: ctx.scope })),
  invite: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/invitations",
        tags,
        summary: "Invite someone by email",
        protect: true,
      },
    })
    .input(inviteInput)
    .output(createdInvitationDto)
    .mutation(({ ctx, input }) =>
      inviteMember({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actorRole: ctx.tenant.role,
        actor: ctx.actorRef,
        invitedById: ctx.actor.userId,
        email: input.email,
        role: input.role,
      }),
    ),
  invitations: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/invitations",
        tags,
        summary: "Open invitations",
        protect: true,
      },
    })
    .input(tenantInput.strict())
    .output(z.array(invitationDto))
    .query(({ ctx }) => listInvitations({ scope: ctx.scope })),
  revokeInvitation: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/tenants/{tenantId}/invitations/{invitationId}",
        tags,
        summary: "Revoke an invitation",
        protect: true,
      },
    })
    .input(tenantInput.extend({ invitationId: uuid }).strict())
    .output(ok)
    .mutation(({ ctx, input }) =>
      revokeInvitation({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        invitationId: input.invitationId,
      }),
    ),
  accept: userProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/invitations/accept",
        tags,
        summary: "Accept an invitation",
        protect: true,
      },
    })
    .input(acceptInvitationInput)
    .output(z.object({ tenantId: uuid, role }))
    .mutation(({ ctx, input }) =>
      acceptInvitation({ db: ctx.db, userId: ctx.actor.userId, email: ctx.actor.email, token: input.token }),
    ),
  setRole: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "PATCH",
        path: "/tenants/{tenantId}/members/{userId}",
        tags,
        summary: "Change a member's role",
        protect: true,
      },
    })
    .input(setRoleInput)
    .output(z.object({ userId: z.string(), role }))
    .mutation(({ ctx, input }) =>
      setMemberRole({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actorRole: ctx.tenant.role,
        actor: ctx.actorRef,
        userId: input.userId,
        role: input.role,
      }),
    ),
  remove: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/tenants/{tenantId}/members/{userId}",
        tags,
        summary: "Remove a member",
        protect: true,
      },
    })
    .input(removeMemberInput)
    .output(ok)
    .mutation(({ ctx, input }) =>
      removeMember({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actorRole: ctx.tenant.role,
        actor: ctx.actorRef,
        userId: input.userId,
        self: input.userId === ctx.actor.userId && ctx.actor.kind === "user",
      }),
    ),
});
